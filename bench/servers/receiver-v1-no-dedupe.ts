// receiver v1 with dedupe: false (see receiver-v1-store.ts).
import { serveReceiverWith } from "./receiver-v1-store.js";

serveReceiverWith(false);
