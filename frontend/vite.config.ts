import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The bundle is served by Django's staticfiles, which adds content hashes of its
// own; it does not rewrite JavaScript imports, so the build must be exactly one
// script and one stylesheet with fixed names.
export default defineConfig({
  plugins: [react()],
  base: "./",
  build: {
    outDir: "../static/app",
    emptyOutDir: true,
    target: "es2022",
    cssCodeSplit: false,
    sourcemap: false,
    modulePreload: false,
    // assistant-ui, React and the Clerk SDK make one ~1.2 MB script (~340 kB gzipped).
    chunkSizeWarningLimit: 1600,
    rolldownOptions: {
      input: "src/main.tsx",
      output: {
        codeSplitting: false,
        entryFileNames: "app.js",
        assetFileNames: (asset) =>
          asset.names.some((name) => name.endsWith(".css"))
            ? "app.css"
            : "[name][extname]",
      },
    },
  },
});
