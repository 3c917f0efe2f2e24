import type * as OtelApi from "@opentelemetry/api";

/** The `@opentelemetry/api` module, as the adapter uses it. */
export type OtelApiModule = typeof OtelApi;

const API_PACKAGE = "@opentelemetry/api";

/**
 * Finds the optional peer dependency `@opentelemetry/api` synchronously (`geminiWebhooks()` is synchronous),
 * or returns `undefined` when it is not installed or not usable: nothing else changes then.
 *
 * Why `require` in both builds: the package ships CommonJS only for Node (its `exports` have no `import`
 * condition), so `import` and `require` load the same file, and its state (the registered SDK) lives on
 * `globalThis` under a versioned symbol anyway: whichever copy we load sees the app's SDK.
 * - CommonJS build: the module's own `require` resolves from this file, exactly as a peer dependency resolves.
 * - ESM build: there is no `require` and `import.meta` does not compile to CommonJS, so this file cannot name its
 *   own location; `createRequire` resolves from the app's entry script (`process.argv[1]`), then from the
 *   working directory: where the app itself would find the package it registered its SDK with.
 * - No static `node:*` import: the root entry is imported in runtimes without them (workerd without
 *   nodejs_compat fails on one at load). `node:module` and `node:path` come from `process.getBuiltinModule`
 *   where there is one (Node >= 20.16, which the package requires); elsewhere telemetry is quietly off.
 */
export function loadOtelApi(): OtelApiModule | undefined {
  for (const load of loaders()) {
    let loaded: unknown;
    try {
      loaded = load(API_PACKAGE);
    } catch {
      continue; // not installed here (or it failed to load): try the next place, then give up quietly
    }
    if (isUsableApi(loaded)) return loaded;
  }
  return undefined;
}

function loaders(): Array<(id: string) => unknown> {
  // `typeof` keeps this safe in ESM, where `require` is not defined at all.
  if (typeof require === "function") return [require];
  const nodeProcess = (globalThis as { process?: NodeProcessWithBuiltins }).process;
  let modules: { createRequire: (base: string) => (id: string) => unknown } | undefined;
  let paths: { resolve: (path: string) => string; join: (...parts: string[]) => string } | undefined;
  try {
    modules = nodeProcess?.getBuiltinModule?.("node:module") as typeof modules;
    paths = nodeProcess?.getBuiltinModule?.("node:path") as typeof paths;
  } catch {
    return [];
  }
  if (!nodeProcess || !modules?.createRequire || !paths?.resolve) return [];
  const bases: string[] = [];
  const entry = nodeProcess.argv?.[1];
  if (entry) bases.push(paths.resolve(entry));
  if (typeof nodeProcess.cwd === "function") bases.push(paths.join(nodeProcess.cwd(), "noop.js"));
  return bases.map((base) => modules!.createRequire(base));
}

/** What this file uses of Node's `process`, none of it assumed present. */
interface NodeProcessWithBuiltins {
  getBuiltinModule?: (id: string) => unknown;
  argv?: string[];
  cwd?: () => string;
}

/** A 1.x API with what the adapter calls; anything else (a stub, an unrelated module) is ignored, not half-used. */
function isUsableApi(value: unknown): value is OtelApiModule {
  const api = value as Partial<OtelApiModule> | null;
  return (
    typeof api?.trace?.getTracerProvider === "function" &&
    typeof api.context?.with === "function" &&
    typeof api.context.active === "function" &&
    typeof api.metrics?.getMeterProvider === "function" &&
    typeof api.SpanKind === "object"
  );
}
