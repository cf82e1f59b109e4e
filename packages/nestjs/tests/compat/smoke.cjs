// The smoke test through CommonJS: require() loads @monque/nestjs's CommonJS build.
const runSmoke = require('./smoke-app.cjs');

runSmoke({
  common: require('@nestjs/common'),
  core: require('@nestjs/core'),
  nestjs: require('@monque/nestjs'),
  uri: process.env.MONGODB_URI,
  nestVersion: require('@nestjs/core/package.json').version,
}).then(
  (summary) => {
    console.log(`SMOKE_RESULT ${JSON.stringify({ build: require.resolve('@monque/nestjs'), ...summary })}`);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
