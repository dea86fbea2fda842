/**
 * llamafile (servers-facts.md §15): the process is the `.llamafile` itself; version 2 sends
 * `Server: llamafile/<version>` and `owned_by: "llamafile"`, the classic builds llama.cpp's
 * header. 127.0.0.1:8080 by default.
 */
import type { ServerKind } from '../kind';
import { header, identity, keyAuth, ownedBy, ownerMatches, versionOf } from '../kind';

export const llamafile: ServerKind = {
  id: 'llamafile',
  facts: 'servers-facts.md §15',
  processNames: [/\.llamafile$/i, /^llamafile$/i],
  argvPatterns: [/\.llamafile(?:\.exe)?(?: |$)/i],
  defaultPorts: [8080],
  paths: [],
  bind: {
    hostFlags: ['--host'],
    portFlags: ['--port'],
    keyFlags: ['--api-key'],
    hostEnv: [],
    portEnv: [],
    keyEnv: [],
    addressFlags: ['--listen', '-l'],
  },
  dangers: [
    'Run prompts on your CPU or GPU.',
    'Read the model name and flags from /flagz (version 2).',
  ],
  identify(answers, owner) {
    const server = header(answers, 'server');
    if (server?.startsWith('llamafile/'))
      return identity(
        'llamafile',
        versionOf(server.slice('llamafile/'.length)),
        `header Server: ${server.slice(0, 40)}`,
      );
    if (ownedBy(answers).includes('llamafile'))
      return identity('llamafile', null, 'GET /v1/models: owned_by "llamafile"');
    if (server === 'llama.cpp' && ownerMatches(llamafile, owner))
      return identity('llamafile', null, 'header Server: llama.cpp from a .llamafile process');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/v1/models'),
};
