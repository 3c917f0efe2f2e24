// How a suite that needs an outside service (Redis, PostgreSQL, Chromium, another runtime) says so.
//
// node:test does not count a skipped describe() in its "# skipped N" summary (only tests are counted, and
// a skipped suite registers none), so `describe(name, { skip }, fn)` hid whole suites from the count.
// A suite whose service is missing is therefore declared as one skipped test in place of its body,
// which the summary counts. Under CI (CI=true or GEMINI_WEBHOOKS_NO_SKIP=1) that test fails instead:
// CI installs every service, so a missing one there is a broken setup, not a reason to skip.
import assert from "node:assert/strict";
import { describe, it, type SuiteContext } from "node:test";

export interface Service {
  /** e.g. "Redis". */
  name: string;
  /** Why the service is unavailable (how to provide it), or false when it is there. */
  missing: string | false;
}

/** True when a missing service must fail the run rather than skip (CI, where everything is installed). */
export const NO_SKIP = process.env.GEMINI_WEBHOOKS_NO_SKIP === "1" || process.env.CI === "true";

type SuiteOptions = { timeout?: number; concurrency?: number | boolean };
type SuiteBody = (suite: SuiteContext) => void | Promise<void>;

/** describe() for a suite that needs `service`: runs as written when it is there, else one skipped test. */
export function describeNeeding(service: Service, name: string, options: SuiteOptions, body: SuiteBody): void;
export function describeNeeding(service: Service, name: string, body: SuiteBody): void;
export function describeNeeding(
  service: Service,
  name: string,
  optionsOrBody: SuiteOptions | SuiteBody,
  maybeBody?: SuiteBody,
): void {
  const options = typeof optionsOrBody === "function" ? {} : optionsOrBody;
  const body = typeof optionsOrBody === "function" ? optionsOrBody : maybeBody!;
  const missing = service.missing;
  if (missing === false) {
    describe(name, options, body);
    return;
  }
  describe(name, () => {
    const title = `needs ${service.name}`;
    if (NO_SKIP) it(title, () => assert.fail(`${service.name} is missing, and this run allows no skips: ${missing}`));
    else it(title, { skip: `${service.name} missing: ${missing}` }, () => {});
  });
}
