// A/B of two builds of the receiver, one process per measurement, alternating A, B, A, B, ...: each process
// runs bench/tools/pipeline-micro.ts --library <build> (the receiver against its floor, in-process, no HTTP) and
// reports the receiver's µs per delivery over its floor. Builds never share a process (in one process they
// share jose and Node's inline caches, which biased an A/A comparison by up to 16 µs), and the alternation
// spreads the machine's load over both.
//   node --import tsx bench/tools/ab-builds.ts --a <dist/esm/index.js> --b <dist/esm/index.js> [--runs 8] [--rounds 12] [--scheme v1|v1a|jwt]
// Prints each build's median over runs and the median of the paired differences (B − A), with their range.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const argv = process.argv.slice(2);
const argument = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const a = argument("--a");
const b = argument("--b");
if (!a || !b)
  throw new Error(
    "usage: ab-builds.ts --a <dist/esm/index.js> --b <dist/esm/index.js> [--runs N] [--rounds N] [--scheme s]",
  );
const runs = Number(argument("--runs")) || 8;
const rounds = argument("--rounds") ?? "12";
const scheme = argument("--scheme") ?? "v1";
const micro = fileURLToPath(new URL("./pipeline-micro.ts", import.meta.url));

function measure(library: string): number {
  const output = execFileSync(
    process.execPath,
    ["--import", "tsx", micro, "--library", library, "--scheme", scheme, "--rounds", rounds, "--json"],
    {
      encoding: "utf8",
    },
  );
  return (JSON.parse(output.trim().split("\n").pop()!) as { overFloorUs: number }).overFloorUs;
}

const median = (list: number[]) => [...list].sort((x, y) => x - y)[list.length >> 1]!;
const results = { a: [] as number[], b: [] as number[] };
for (let run = 0; run < runs; run++) {
  // Alternate which build goes first, so neither always runs right after the other.
  const order: ("a" | "b")[] = run % 2 === 0 ? ["a", "b"] : ["b", "a"];
  for (const which of order) results[which].push(measure(which === "a" ? a : b));
  process.stderr.write(
    `  run ${run + 1}/${runs}: A ${results.a.at(-1)!.toFixed(2)} µs, B ${results.b.at(-1)!.toFixed(2)} µs over floor\n`,
  );
}
const differences = results.b.map((value, i) => value - results.a[i]!);
console.log(
  `${scheme}: A ${median(results.a).toFixed(2)} µs, B ${median(results.b).toFixed(2)} µs over floor per delivery; ` +
    `B − A ${median(differences).toFixed(2)} µs (paired runs from ${Math.min(...differences).toFixed(2)} to ${Math.max(...differences).toFixed(2)}), ${runs} runs each`,
);
