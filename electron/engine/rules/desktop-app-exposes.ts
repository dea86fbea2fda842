/**
 * The desktop app's "Expose Ollama to the network" (expose) and browser-access (browser)
 * settings, macOS and Windows, v0.12.10 and later (ollama-facts.md, "Desktop app settings"):
 * the app starts `ollama serve` with OLLAMA_HOST=0.0.0.0 or OLLAMA_ORIGINS=* over any user
 * value, so an environment-variable fix alone does not hold while they are on.
 *
 * For the macOS/Windows issue to fill: the Linux snapshot has no facts about the app's
 * db.sqlite yet, so this rule reads nothing and finds nothing. It is in the catalog now so
 * that its id, metadata and place in the report are settled; its evaluate changes when the
 * snapshot gains those facts. Until then exposure from the app still shows up through the
 * listener (exposed-to-lan, exposed-to-internet) and the fingerprint (origins-too-broad).
 */
import { defineRule } from './rule';

export default defineRule(
  {
    id: 'desktop-app-exposes',
    title: 'The Ollama app is set to expose the server or allow every browser origin',
    severity: 'high',
    category: 'configuration',
    why: 'With "Expose Ollama to the network" on, the desktop app (macOS, Windows) restarts the server on every interface, overriding OLLAMA_HOST: anyone on the network can list your models, run prompts on your GPU, and pull or delete models. With browser access on, it sets OLLAMA_ORIGINS=*, so any web page you open can do the same through your browser. Not checked yet: Paddock does not read the app\'s settings on macOS or Windows so far, so this rule never reports anything today.',
    references: ['https://docs.ollama.com/faq'],
    fixes: ['block-port', 'enable-firewall'],
  },
  // Reads nothing: the snapshot carries no desktop-app settings yet (see the comment above).
  () => [],
);
