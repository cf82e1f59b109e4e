/**
 * `@monque/dashboard`: a web dashboard for Monque job queues, as a Node request handler. The
 * `monque-dashboard` and `monque` commands ship in the same package.
 */
export { createDashboard, type DashboardHandler, type NextFunction } from './create-dashboard.js';
export {
  type DashboardAuthorize,
  type DashboardMonque,
  type DashboardOptions,
  type DashboardSettings,
  DEFAULT_BODY_LIMIT,
} from './dashboard-options.js';
export { CONTENT_SECURITY_POLICY } from './http/security-headers.js';
export { type DataFilterValue, parseDataFilter, parseDataValue } from './shared/data-filter.js';
