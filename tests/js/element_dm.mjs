// A person on Element talks to the bot in an encrypted direct chat, with the library Element itself uses
// (matrix-js-sdk with its Rust crypto). With ISOLATION=strict the client excludes insecure devices (MSC4153,
// OnlySignedDevicesIsolationMode): it shares room keys only with devices their owner has cross-signed and refuses
// messages from others. Prints one JSON line: the bot's reply and the shield Element would show on it.
//
//   cd tests/js && npm ci
//   HOMESERVER=http://127.0.0.1:8008 USER_ID=@anna:localhost PASSWORD=... BOT=@helferbot:localhost \
//     ISOLATION=strict TEXT='!hilfe' EXPECT='Was ich kann' node element_dm.mjs
//
// The person's own account gets a cross-signing identity first (Element does that at first login), because in
// strict mode a client whose own device is not cross-signed refuses to send at all.
// common.mjs first: it installs the in-memory IndexedDB the Rust crypto stores its keys in.
import { bootstrapCrossSigning, env, fail, homeserver, passwordLogin, timer, until } from "./common.mjs";
import * as sdk from "matrix-js-sdk";
import {
  AllDevicesIsolationMode,
  EventShieldColour,
  EventShieldReason,
  OnlySignedDevicesIsolationMode,
} from "matrix-js-sdk/lib/crypto-api/index.js";

const bot = env.BOT;
const strict = (env.ISOLATION || "strict") === "strict";
const text = env.TEXT || "!hilfe";
const expect = env.EXPECT || "";

const login = await passwordLogin("Element (check)");
const client = sdk.createClient({
  baseUrl: homeserver,
  userId: login.user_id,
  deviceId: login.device_id,
  accessToken: login.access_token,
});
await client.initRustCrypto({ useIndexedDB: true });
const crypto = client.getCrypto();
crypto.setDeviceIsolationMode(strict ? new OnlySignedDevicesIsolationMode() : new AllDevicesIsolationMode());

await client.startClient({ initialSyncLimit: 20 });
await until("the first sync", () => client.isInitialSyncComplete());

// Only after the client knows its own devices, or it would not see the new identity as its own.
await crypto.getUserDeviceInfo([login.user_id], true);
await bootstrapCrossSigning(crypto);
await until("own device cross-signed", async () =>
  (await crypto.getDeviceVerificationStatus(login.user_id, login.device_id))?.crossSigningVerified);

const started = Date.now();
const { room_id: roomId } = await client.createRoom({
  is_direct: true,
  preset: "trusted_private_chat",
  invite: [bot],
  initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
});
// Element waits until the room is ready: the bot has joined and the crypto layer knows the room is encrypted.
await until("the bot joining", () => client.getRoom(roomId)?.getMember(bot)?.membership === "join");
await until("encryption known", () => crypto.isEncryptionEnabledInRoom(roomId));
const botDevices = await crypto.getUserDeviceInfo([bot], true);
const deviceStatus = [];
for (const deviceId of botDevices.get(bot)?.keys() ?? []) {
  const status = await crypto.getDeviceVerificationStatus(bot, deviceId);
  deviceStatus.push({ deviceId, signedByOwner: Boolean(status?.signedByOwner) });
}

const sent = Date.now();
await client.sendTextMessage(roomId, text);
const reply = await until("the bot's reply", async () => {
  const events = client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];
  for (const event of events) {
    if (event.getSender() !== bot || !event.isEncrypted() || event.getTs() < sent - 5000) continue;
    if (event.isBeingDecrypted() || event.isDecryptionFailure()) continue;
    const body = event.getContent()?.body ?? "";
    if (event.getType() === "m.room.message" && body.includes(expect)) return event;
  }
  return null;
});
const info = await crypto.getEncryptionInfoForEvent(reply);
clearTimeout(timer);
const shield = EventShieldColour[info?.shieldColour ?? EventShieldColour.NONE];
const reason = info?.shieldReason == null ? null : EventShieldReason[info.shieldReason];
console.log(JSON.stringify({
  ok: shield === "NONE",
  isolation: strict ? "OnlySignedDevicesIsolationMode" : "AllDevicesIsolationMode",
  reply: reply.getContent().body,
  shield,
  reason,
  botDevices: deviceStatus,
  setupMs: sent - started,
  replyMs: reply.getTs() - sent,
}));
client.stopClient();
process.exit(shield === "NONE" ? 0 : 2);
