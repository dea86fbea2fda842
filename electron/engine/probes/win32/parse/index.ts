/**
 * Pure parsers for what the Windows probes run: PowerShell's JSON (see ../powershell.ts for
 * the templates that print it) and `netstat -ano`. Text in, typed rows and what could not be
 * read out; no I/O here.
 */
export * from './common';
export * from './socket-row';
export * from './processes';
export * from './tcp-connections';
export * from './netstat';
export * from './profiles';
export * from './firewall-rules';
export * from './registry-env';
