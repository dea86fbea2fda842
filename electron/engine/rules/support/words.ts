/**
 * Wording shared by the rules: lists, addresses, and what someone who reaches an Ollama server
 * can do with it. Values from the machine are plain data here (cleaned of control characters,
 * cut to a sane length): never markup, never a command to run.
 */
import type { Instance, Snapshot } from '../../../../shared/snapshot';
import { cleanText } from '../../text/untrusted';

/** A value read from the machine or a server, safe to put in a sentence. */
export function plain(value: unknown, maxLength = 120): string {
  return cleanText(value, maxLength);
}

/** "a, b and 3 more" with at most `max` items named. */
export function listed(items: readonly string[], max = 3): string {
  const named = items.slice(0, max);
  const rest = items.length - named.length;
  if (rest > 0) return `${named.join(', ')} and ${rest} more`;
  if (named.length <= 1) return named.join('');
  return `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** `1.2.3.4:11434` or `[fd00::1]:11434`. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** How the user knows this server: by pid, container or port. */
export function instanceLabel(instance: Instance): string {
  const version = instance.version ? ` ${plain(instance.version, 40)}` : '';
  if (instance.pid !== null) return `Ollama${version} (pid ${instance.pid})`;
  const container = instance.containers[0];
  if (container)
    return `Ollama${version} in the Docker container ${plain(container.names[0] ?? container.id.slice(0, 12), 60)}`;
  const proxy = instance.proxyPaths[0];
  if (proxy) return `Ollama${version} behind ${proxy.software} on port ${proxy.port}`;
  const port = instance.listeners[0]?.port;
  return `Ollama${version}${port !== undefined ? ` on port ${port}` : ''} (${plain(instance.id, 60)})`;
}

/** Model names the server listed on /api/tags, de-duplicated, in its order. */
export function modelNames(instance: Instance): string[] {
  const names = new Set<string>();
  for (const fingerprint of instance.fingerprints)
    for (const model of fingerprint.models ?? []) names.add(plain(model.name, 80));
  return [...names];
}

/** Models loaded in memory right now (/api/ps). */
export function loadedModelNames(instance: Instance): string[] {
  const names = new Set<string>();
  for (const fingerprint of instance.fingerprints)
    for (const model of fingerprint.loadedModels ?? []) names.add(plain(model.name, 80));
  return [...names];
}

/** "your NVIDIA H200" when nvidia-smi named the GPU, else a plain "your GPU (or CPU)". */
export function computeWords(snapshot: Snapshot): string {
  const gpus = snapshot.probes.gpu.data?.nvidia ?? [];
  const names = [...new Set(gpus.map((g) => plain(g.name, 60)).filter((n) => n !== ''))];
  if (names.length > 0) return `your ${listed(names, 2)}`;
  const controllers = snapshot.probes.gpu.data?.controllers ?? [];
  if (controllers.length > 0) return `your ${plain(controllers[0]!.model, 60)}`;
  return "this computer's GPU or CPU";
}

/**
 * What anyone who can send HTTP requests to this Ollama can do right now, with this server's
 * own models named (ollama-facts.md, "HTTP surface": no endpoint needs authentication).
 */
export function attackerCanOnOllama(
  snapshot: Snapshot,
  instance: Instance,
  options: { cloud?: boolean } = {},
): string[] {
  const models = modelNames(instance);
  const loaded = loadedModelNames(instance);
  const can: string[] = [];
  can.push(
    models.length > 0
      ? `List your ${plural(models.length, 'model')} (${listed(models)}) with GET /api/tags, no password asked.`
      : 'List the models you have installed with GET /api/tags, no password asked.',
  );
  can.push(
    `Run their own prompts on ${computeWords(snapshot)} through /api/generate, /api/chat or the OpenAI-compatible /v1/chat/completions${loaded.length > 0 ? ` (${listed(loaded)} is loaded right now)` : ''}, and queue long generations that leave you waiting.`,
  );
  can.push(
    'Pull any model from any registry onto your disk (POST /api/pull), copy or create models, delete yours (DELETE /api/delete), and push them to a registry of their choosing (POST /api/push).',
  );
  can.push(
    models.length > 0
      ? `Read the system prompt, template and parameters of each model with POST /api/show (e.g. ${models[0]}).`
      : 'Read the system prompt, template and parameters of each model with POST /api/show.',
  );
  if (options.cloud)
    can.push(
      'Use :cloud models and web search on your ollama.com account, which you pay for (OLLAMA_NO_CLOUD is not set on this server).',
    );
  return can;
}
