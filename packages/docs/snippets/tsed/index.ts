/**
 * The entry file: `node dist/index.js` (or `npx tsx src/index.ts` while developing).
 */
// #region index
import { main } from './main.js';

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
// #endregion index
