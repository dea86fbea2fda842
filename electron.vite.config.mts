import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: { rollupOptions: { input: { index: resolve('electron/main/index.ts') } } },
  },
  preload: {
    build: { rollupOptions: { input: { index: resolve('electron/preload/index.ts') } } },
  },
  renderer: {
    root: resolve('renderer'),
    build: { rollupOptions: { input: { index: resolve('renderer/index.html') } } },
    plugins: [react()],
  },
});
