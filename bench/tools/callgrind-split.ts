// `node --import tsx bench/tools/callgrind-split.ts <base.callgrind> <other.callgrind> [--requests 2000]`
// Splits two callgrind dumps kept by `instructions.ts --keep DIR` into kinds of work (V8's optimizing compiler,
// GC, inline-cache runtime, JIT-compiled JavaScript, JSON, strings, OpenSSL, ...) and prints, per kind, the
// instructions per request of each and their difference: where one server's extra instructions go, at a
// glance. Self costs from `callgrind_annotate --inclusive=no`; names callgrind cannot resolve are JIT code.
import { execFileSync } from "node:child_process";

const argv = process.argv.slice(2);
const files = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--requests");
const requestsIndex = argv.indexOf("--requests");
const requests = requestsIndex >= 0 ? Number(argv[requestsIndex + 1]) : 2000;
if (files.length !== 2) throw new Error("usage: callgrind-split.ts <base.callgrind> <other.callgrind> [--requests N]");

// Frames that only contain others (their self cost is small, their names would double-count): skipped.
const WRAPPERS = [
  "SpinEventLoop",
  "libc_start",
  "below main",
  "NodeMainInstance",
  "node::Start",
  "clone.S",
  "start_thread",
  "Worker::Run",
  "Worker::StartThread",
  "???:main ",
  "ld-linux-x86-64",
];

const KINDS: [kind: string, test: RegExp][] = [
  [
    "GC",
    /Marking|Sweep|Scaveng|Evacuat|heap::|MemoryChunk|Heap::|IterateMaybeWeak|IteratePointers|RecordMigrated|BodyDescriptor|MarkCompact|Factory::Allocate/,
  ],
  ["optimizing compiler", /compiler::|maglev|Compiler/],
  ["JIT code (JavaScript)", /^\?\?\?:0x[0-9a-f]+('\d+)? \[\?\?\?\]/],
  [
    "inline-cache runtime (C++)",
    /LookupIterator|LoadIC::|StoreIC::|Runtime_|StubCache|MigrateToMap|DescriptorArray|Map::|FieldIndex|FeedbackNexus|MakePrototypesFast|TransitionsAccessor|KeyedLoadIC|KeyedStoreIC::/,
  ],
  ["inline-cache builtins", /Builtins_\w*IC/],
  ["JSON", /Json/],
  ["strings", /Utf8|WriteToFlat|String/],
  ["other builtins", /Builtins_/],
  ["OpenSSL", /sha256|sha512|libcrypto|EVP_|HMAC|bn_|ecp_|x25519|ed25519/i],
  ["libc", /libc\.so/],
  ["libuv", /uv_|libuv/],
  ["node C++", /node::/],
];

function split(file: string): Map<string, number> {
  const text = execFileSync("callgrind_annotate", ["--threshold=100", "--inclusive=no", "--auto=no", file], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const kinds = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!match || match[2]!.startsWith("PROGRAM TOTALS")) continue;
    const name = match[2]!;
    if (WRAPPERS.some((wrapper) => name.includes(wrapper))) continue;
    const kind = KINDS.find(([, test]) => test.test(name))?.[0] ?? "other";
    kinds.set(kind, (kinds.get(kind) ?? 0) + Number(match[1]!.replaceAll(",", "")));
  }
  return kinds;
}

const [base, other] = files.map(split) as [Map<string, number>, Map<string, number>];
const perRequest = (n = 0): string => (n / requests / 1000).toFixed(1);
const names = [...new Set([...base.keys(), ...other.keys()])].sort(
  (a, b) => (other.get(b) ?? 0) - (base.get(b) ?? 0) - ((other.get(a) ?? 0) - (base.get(a) ?? 0)),
);
const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
console.log(`k instructions per request (${requests} requests), self cost by kind of work`);
console.log("| kind | base | other | other − base |\n|---|---:|---:|---:|");
for (const name of names)
  console.log(
    `| ${name} | ${perRequest(base.get(name))} | ${perRequest(other.get(name))} | ${perRequest((other.get(name) ?? 0) - (base.get(name) ?? 0))} |`,
  );
console.log(
  `| total | ${perRequest(total(base))} | ${perRequest(total(other))} | ${perRequest(total(other) - total(base))} |`,
);
