/**
 * llama.cpp's `llama-server` (servers-facts.md §3): every answer carries `Server: llama.cpp`,
 * and `/v1/models` says `owned_by: "llamacpp"`. Default 127.0.0.1:8080 (9931 announced);
 * the official images bind 0.0.0.0. With `--api-key`, `/health`, `/v1/models` and `/` stay
 * public and `/props` asks for the key. llamafile's classic builds send the same header: the
 * owner's name tells them apart (llamafile/).
 */
import type { ServerKind } from '../kind';
import { header, identity, keyAuth, ownedBy } from '../kind';

export const llamacpp: ServerKind = {
  id: 'llamacpp',
  facts: 'servers-facts.md §3',
  processNames: [/^llama-server$/, /^llama$/],
  argvPatterns: [/(?:^|\/)llama-server(?:\.exe)?(?: |$)/],
  defaultPorts: [8080, 9931],
  paths: ['/props'],
  bind: {
    hostFlags: ['--host'],
    portFlags: ['--port'],
    keyFlags: ['--api-key', '--api-key-file'],
    hostEnv: ['LLAMA_ARG_HOST'],
    portEnv: ['LLAMA_ARG_PORT'],
    keyEnv: ['LLAMA_API_KEY', 'LLAMA_ARG_API_KEY_FILE'],
  },
  dangers: [
    'Run prompts on your GPU through /completion and /v1/chat/completions.',
    `Read the model's file path and build from GET /props.`,
    'With --slot-save-path, save and restore slot files; in router mode, load, unload and add models.',
    'With --tools, read and write files and run shell commands through /tools.',
  ],
  // servers-facts.md §3, "Dangerous features".
  riskyFlags: [
    {
      flag: '--tools',
      what: 'read and write files and run shell commands through /tools',
      runsCode: true,
    },
    {
      flag: '--agent',
      what: 'run the built-in agent with its file and shell tools',
      runsCode: true,
    },
    {
      flag: '--mcp-servers-config',
      what: 'use the MCP servers it starts as child processes',
      runsCode: true,
    },
    {
      flag: '--mcp-servers-json',
      what: 'use the MCP servers it starts as child processes',
      runsCode: true,
    },
    {
      flag: '--ui-mcp-proxy',
      what: 'make it fetch any URL through /cors-proxy (SSRF)',
      runsCode: false,
    },
    {
      flag: '--slot-save-path',
      what: 'save, restore and erase slot files in that folder',
      runsCode: false,
    },
    {
      flag: '--media-path',
      what: 'read local files it serves through file:// media',
      runsCode: false,
    },
  ],
  identify(answers, owner) {
    if (/\.llamafile$|^llamafile$/i.test(owner.name ?? '')) return null;
    if (owner.argv?.some((a) => /\.llamafile$/i.test(a))) return null;
    if (header(answers, 'server') === 'llama.cpp')
      return identity('llamacpp', null, 'header Server: llama.cpp');
    if (ownedBy(answers).includes('llamacpp'))
      return identity('llamacpp', null, 'GET /v1/models: owned_by "llamacpp"');
    return null;
  },
  auth: (answers) => keyAuth(answers, '/props'),
};
