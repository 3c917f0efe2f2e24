// Where the JWT path's time goes, without HTTP or the pipeline: one token set, verified by a bare
// jose.jwtVerify against a key imported once (the floor), by jwtVerify against the receiver's local key
// set (jose's key matcher), the same with the receiver's options, and by the receiver's whole JWT verifier.
// CPU time per token over the floor: medians of paired differences, in rotating order. The variants share jose
// in one process (and so its type feedback): read a few µs between them as noise, and A/B with pipeline-micro.
//   npm run build && node --import tsx bench/tools/jwt-micro.ts [--rounds N]
import { importJWK, jwtVerify, type JSONWebKeySet } from "jose";
import { createBenchKeys, signJwt, RSA_KID } from "../deliveries.js";

const dist = "../../dist/esm/verify/";
const { buildKeySet } = (await import(`${dist}jwks.js`)) as typeof import("../../src/verify/jwks.js");
const { createJwtVerifier } = (await import(`${dist}jwt.js`)) as typeof import("../../src/verify/jwt.js");
const { nodeCrypto } = (await import("../../dist/esm/crypto/node.js")) as typeof import("../../src/crypto/node.js");

const keys = createBenchKeys();
const jwks = keys.config.jwks as unknown as JSONWebKeySet;
const audience = keys.config.audience;
const key = await importJWK(
  jwks.keys.find((jwk) => jwk.kid === RSA_KID)!,
  "RS256",
);
const keySet = buildKeySet(jwks, nodeCrypto);
const options = { algorithms: ["RS256"], audience };
const fullOptions = { algorithms: ["RS256"], audience: [audience], issuer: undefined, clockTolerance: 3600 };
const verifier = createJwtVerifier({
  source: { current: () => keySet, refreshForUnknownKey: async () => undefined },
  jwks: { audience: [audience], algorithms: ["RS256"] } as never,
  crypto: nodeCrypto,
  toleranceSeconds: 3600,
  now: Date.now,
});
const deliveries = Array.from({ length: 400 }, () => signJwt(keys.rsa, audience));
const tokens = deliveries.map((d) => ({
  token: d.headers["webhook-signature"]!,
  id: d.headers["webhook-id"]!,
  body: Buffer.from(d.body),
}));

const variants: Record<string, (t: (typeof tokens)[number]) => Promise<unknown>> = {
  "floor (key)": (t) => jwtVerify(t.token, key, options),
  "jwtVerify(localJWKSet)": (t) => jwtVerify(t.token, keySet.jwt, options),
  "localJWKSet+opts": (t) => jwtVerify(t.token, keySet.jwt, { ...fullOptions, currentDate: new Date(Date.now()) }),
  createJwtVerifier: (t) => verifier(t.token, { id: t.id, timestamp: undefined } as never, t.body),
};
const results: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 20;
const names = Object.keys(variants);
const floors: number[] = [];
for (let round = 0; round < rounds + 3; round++) {
  const took: Record<string, number> = {};
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length]!;
    const start = process.cpuUsage();
    for (const t of tokens) await variants[name]!(t);
    const { user, system } = process.cpuUsage(start);
    took[name] = (user + system) / tokens.length;
  }
  if (round < 3) continue; // warm-up
  for (const name of names) results[name]!.push(took[name]! - took["floor (key)"]!);
  floors.push(took["floor (key)"]!);
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[list.length >> 1]!;
// Medians of the paired differences (each round's variant minus that round's floor): steadier on a shared machine.
console.log(`floor ${median(floors).toFixed(1)} µs per token; over it:`);
for (const name of names.slice(1)) console.log(`  ${name.padEnd(24)} +${median(results[name]!).toFixed(1)} µs`);
