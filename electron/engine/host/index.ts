export type * from './types';
export { createNodeHost } from './node-host';
export { displayArgv } from './exec';
export { urlFor } from './http';
