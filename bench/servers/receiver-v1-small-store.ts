// receiver v1 with a 1 000-id memory store (see receiver-v1-store.ts): the same code as the default, never large.
import { memoryStore } from "../library.js";
import { serveReceiverWith } from "./receiver-v1-store.js";

serveReceiverWith(memoryStore({ max: 1000 }));
