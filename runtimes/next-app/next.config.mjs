import { fileURLToPath } from "node:url";

// The app imports runtimes/apps/webhooks.ts and the package itself (a file: link to the repository root):
// both live above this folder, so the bundler's root is the repository.
export default {
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
};
