/**
 * Issue 13: a server that lets any web page read its answers (`Access-Control-Allow-Origin: *`,
 * or the page's own origin reflected back), even on loopback: a page the user opens can call
 * it from their browser (servers-facts.md §1.7: llama-server reflects any Origin with
 * credentials; vLLM, KoboldCpp, LocalAI and Open WebUI allow `*`). Reflection with credentials
 * is high, `*` medium.
 */
import { FOREIGN_ORIGIN } from '../judge/origin';
import { SERVER_KIND_NAMES } from '../../../shared/servers';
import { defineRule } from './rule';
import { listenerWords } from './support/reach';
import { listed } from './support/words';

export default defineRule(
  {
    id: 'server-cors-open',
    title: 'Any web page can use this server through your browser',
    severity: 'medium',
    category: 'exposure',
    why: 'A server that answers any origin lets every web page you open call it from your browser, even when it listens on this computer only: a malicious or compromised page can list your models, run prompts on your GPU and read the answers, and use any endpoint the server leaves open.',
    references: [
      'https://github.com/ggml-org/llama.cpp/tree/master/tools/server',
      'https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS',
    ],
    fixes: [],
  },
  (snapshot) =>
    snapshot.instances.flatMap((instance) => {
      const cors = instance.cors;
      if (!cors?.allowOrigin) return [];
      const reflected = cors.allowOrigin === FOREIGN_ORIGIN;
      if (!reflected && cors.allowOrigin !== '*') return [];
      const name = SERVER_KIND_NAMES[instance.kind];
      const how = reflected
        ? `echoes any page's origin back${cors.allowCredentials ? ', with credentials allowed' : ''}`
        : 'allows every origin (*)';
      return [
        {
          instance: instance.id,
          severity: reflected && cors.allowCredentials ? 'high' : 'medium',
          title: `Any web page can use ${name} through your browser`,
          summary: `${name} at ${listed(instance.listeners.map(listenerWords), 2)} ${how}: a web page you open can call it and read the answers.`,
          attackerCan: [
            'From a web page you visit, list your models and run prompts on your hardware, reading the answers.',
          ],
          evidence: [
            `GET ${cors.path} with Origin: ${FOREIGN_ORIGIN} answered Access-Control-Allow-Origin: ${cors.allowOrigin}${cors.allowCredentials ? ', Access-Control-Allow-Credentials: true' : ''}.`,
          ],
        },
      ];
    }),
);
