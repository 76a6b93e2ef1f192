// What the Element scripts share: their settings from the environment, failing with one JSON line, waiting for a
// condition, and a password login of the account they act for.
import "fake-indexeddb/auto";
import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

export const env = process.env;
export const homeserver = env.HOMESERVER;
export const userId = env.USER_ID;
export const password = env.PASSWORD;
export const timeoutMs = Number(env.TIMEOUT_MS || 45000);
logger.setLevel(env.DEBUG ? "debug" : "error");

export function fail(why, extra = {}) {
  console.log(JSON.stringify({ ok: false, error: why, ...extra }));
  process.exit(1);
}

export async function until(what, check, ms = timeoutMs) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// The whole script gets a little longer than any single wait, then gives up with a JSON line.
export const timer = setTimeout(() => fail("overall timeout"), timeoutMs + 30000);

export async function passwordLogin(deviceName) {
  return sdk.createClient({ baseUrl: homeserver }).loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user: userId },
    password,
    initial_device_display_name: deviceName,
  });
}

// Cross-signing as Element sets it up at a first login; the homeserver asks for the password again.
export async function bootstrapCrossSigning(crypto) {
  await crypto.bootstrapCrossSigning({
    authUploadDeviceSigningKeys: async (makeRequest) => {
      await makeRequest({ type: "m.login.password", identifier: { type: "m.id.user", user: userId }, password });
    },
  });
}
