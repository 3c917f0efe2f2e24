// The floor's whole work: read the raw body and answer exactly as the receiver does (same headers, same body,
// res.end), with no verification or parsing. Shared by the floor server and the in-process micro-benchmark.
import type { IncomingMessage, ServerResponse } from "node:http";

export function floorHandler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    Buffer.concat(chunks);
    res.statusCode = 200;
    res.setHeader("Content-Type", "application/json; charset=utf-8");
    res.setHeader("Cache-Control", "no-store");
    res.end('{"status":"received"}');
  });
}
