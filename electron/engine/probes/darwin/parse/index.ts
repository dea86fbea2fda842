/**
 * Pure parsers for the macOS tools the darwin probes run: text in, typed rows and the lines
 * they could not read out. No I/O here; the probes run the argv each module exports.
 */
export * from './common';
export * from './socket-row';
export * from './ps';
export * from './lsof';
export * from './netstat';
export * from './launchctl';
export * from './plist';
export * from './launchd';
export * from './socketfilterfw';
export * from './pfctl';
