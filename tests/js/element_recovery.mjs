// An admin signs into the bot's account with Element before the bot ever runs, and Element sets up cross-signing
// and "recovery" (secret storage with a new recovery key), as it does at a first login. Done here with the library
// Element itself uses (matrix-js-sdk with its Rust crypto). Prints one JSON line: the recovery key Element would
// show, and the public master and self-signing keys it published.
//
//   cd tests/js && npm ci
//   HOMESERVER=http://127.0.0.1:8008 USER_ID=@helferbot:localhost PASSWORD=... node element_recovery.mjs
// common.mjs first: it installs the in-memory IndexedDB the Rust crypto stores its keys in.
import { bootstrapCrossSigning, homeserver, passwordLogin, timer, until } from "./common.mjs";
import * as sdk from "matrix-js-sdk";
import { CrossSigningKey } from "matrix-js-sdk/lib/crypto-api/index.js";

const login = await passwordLogin("Element (admin)");

// Element keeps the new secret storage key in memory while it stores the secrets with it.
const cachedKeys = new Map();
const client = sdk.createClient({
  baseUrl: homeserver,
  userId: login.user_id,
  deviceId: login.device_id,
  accessToken: login.access_token,
  cryptoCallbacks: {
    cacheSecretStorageKey: (keyId, _keyInfo, key) => cachedKeys.set(keyId, key),
    getSecretStorageKey: async ({ keys }) => {
      const keyId = Object.keys(keys).find((id) => cachedKeys.has(id));
      return keyId ? [keyId, cachedKeys.get(keyId)] : null;
    },
  },
});
await client.initRustCrypto({ useIndexedDB: true });
const crypto = client.getCrypto();
await client.startClient({ initialSyncLimit: 1 });
await until("the first sync", () => client.isInitialSyncComplete());
await crypto.getUserDeviceInfo([login.user_id], true);

await bootstrapCrossSigning(crypto);
let recoveryKey;
await crypto.bootstrapSecretStorage({
  setupNewSecretStorage: true,
  createSecretStorageKey: async () => {
    const generated = await crypto.createRecoveryKeyFromPassphrase();
    recoveryKey = generated.encodedPrivateKey;
    return generated;
  },
});
await until("secret storage ready", () => crypto.isSecretStorageReady());
const status = await crypto.getCrossSigningStatus();
clearTimeout(timer);
console.log(JSON.stringify({
  ok: Boolean(recoveryKey && status.privateKeysInSecretStorage),
  recoveryKey,
  master: await crypto.getCrossSigningKeyId(CrossSigningKey.Master),
  selfSigning: await crypto.getCrossSigningKeyId(CrossSigningKey.SelfSigning),
  deviceId: login.device_id,
}));
client.stopClient();
process.exit(0);
