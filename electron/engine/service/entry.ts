/** Starts the engine process (built to out/main/engine.js for the app, out/cli/engine.cjs for Node). */
import { startWorker } from './worker';

startWorker();
