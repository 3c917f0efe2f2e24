// Where one server spends more than another, per request: the self time of every function in two
// .cpuprofile files (main thread), each divided by the requests that server answered, then subtracted.
// Usage: node --import tsx bench/tools/profile-diff.ts <base.cpuprofile> <base requests> <other.cpuprofile> <other requests> [--top 40]
// The request counts are the "answered" numbers the run prints for that variant (warm-up included: the profile
// covers the server's whole life). What a main-thread profile cannot show: GC helper threads and libuv's
// thread pool, which process.cpuUsage() (the table's server CPU) does count.
import { readFileSync } from "node:fs";

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

function selfTimes(file: string): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const times = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") return;
    const name = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(node_modules\/|dist\/esm\/|bench\/)/, "$1")}:${lineNumber + 1}`;
    times.set(name, (times.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return times;
}

const [baseFile, baseRequests, otherFile, otherRequests, ...rest] = process.argv.slice(2);
if (!otherRequests)
  throw new Error("usage: profile-diff.ts <base.cpuprofile> <requests> <other.cpuprofile> <requests> [--top N]");
const top = Number(rest[rest.indexOf("--top") + 1]) || 40;
const base = selfTimes(baseFile!);
const other = selfTimes(otherFile!);
const perRequest = (times: Map<string, number>, name: string, requests: string) =>
  (times.get(name) ?? 0) / Number(requests);
const rows = [...new Set([...base.keys(), ...other.keys()])].map((name) => {
  const a = perRequest(base, name, baseRequests!);
  const b = perRequest(other, name, otherRequests);
  return { name, a, b, diff: b - a };
});
const total = rows.reduce((sum, row) => sum + row.diff, 0);
rows.sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff));
console.log(`main thread: ${total >= 0 ? "+" : ""}${total.toFixed(1)} µs/request (other − base); largest differences:`);
console.log(" other−base     base    other  (µs/request)");
for (const row of rows.slice(0, top)) {
  console.log(
    `${row.diff.toFixed(2).padStart(10)} ${row.a.toFixed(2).padStart(8)} ${row.b.toFixed(2).padStart(8)}  ${row.name}`,
  );
}
