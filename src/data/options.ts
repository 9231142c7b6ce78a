export { checkKnownOptions } from '../util/options.js';
