/**
 * `gemini-webhooks-express/testing`: sign deliveries the way Gemini does, to test your own handlers
 * end to end through the real receiver. Test keys and secrets only: nothing here belongs in production.
 */
export { signDelivery } from "./sign-delivery.js";
export type { SignDeliveryOptions } from "./sign-delivery.js";
export { createTestKeys, importTestKeys } from "./test-keys.js";
export type {
  CreateTestKeysOptions,
  JsonWebKeySet,
  SignJwtOptions,
  TestJwtAlgorithm,
  TestKeys,
  TestKeysJson,
} from "./test-keys.js";
export { startJwksServer } from "./jwks-server.js";
export type { JwksServer, JwksServerOptions } from "./jwks-server.js";
export { sampleEvent } from "./sample-event.js";
export type { SampleEventOverrides } from "./sample-event.js";
export { generateSecret } from "./secret.js";
export type { DeliveryOptions, SignedDelivery } from "./delivery.js";
