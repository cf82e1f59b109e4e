/**
 * The application's jobs: each name with its payload. `Monque<Jobs>` checks both at compile time.
 */
export type Jobs = {
  'send-email': { to: string; subject: string };
  'generate-report': { customerId: number; durationMs: number };
};
