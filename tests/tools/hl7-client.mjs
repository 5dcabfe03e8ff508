// Sends HL7 v2 messages over MLLP with the third-party client `node-hl7-client` (pinned in package-lock.json) and
// prints each ACK it receives, one per line, as JSON: {"msa1":"AA","msa2":"<control id>","ack":"<ACK text>"}.
// Used by HealthFlow's interoperability test. Usage: node hl7-client.mjs HOST PORT FILE
// FILE is a JSON array of message texts (segments separated by CR), all of one HL7 version.
// Message contents are never printed: only the ACKs, which carry control ids and codes, no patient data.
import { readFileSync } from "node:fs";
import Client, { Message } from "node-hl7-client";

const [host, portText, file] = process.argv.slice(2);
if (!host || !portText || !file) {
  console.error("usage: node hl7-client.mjs HOST PORT FILE");
  process.exit(2);
}

const texts = JSON.parse(readFileSync(file, "utf8"));
if (!Array.isArray(texts) || texts.length === 0) {
  console.error("FILE must hold a non-empty JSON array of HL7 message texts");
  process.exit(2);
}

const messages = texts.map((text) => new Message({ text }));
const version = messages[0].get("MSH.12").toString();
const timeoutMs = Number(process.env.HL7_CLIENT_TIMEOUT_MS ?? 30000);

let received = 0;
let acknowledged = () => {};

const timer = setTimeout(() => {
  console.error(`timed out after ${timeoutMs} ms with ${received} of ${messages.length} ACKs`);
  process.exit(1);
}, timeoutMs);

const client = new Client({ host, version, maxConnectionAttempts: 3 });
const connection = client.createConnection({ port: Number(portText), waitAck: true }, async (response) => {
  const ack = response.getMessage();
  console.log(JSON.stringify({
    msa1: ack.get("MSA.1").toString(),
    msa2: ack.get("MSA.2").toString(),
    ack: ack.toString(),
  }));
  received += 1;
  acknowledged();
});

// node-hl7-client queues a message sent before the socket is connected (or while an ACK is awaited with waitAck) and
// only flushes that queue on the next connect: so wait for the connection, then send one message per ACK.
await new Promise((resolve, reject) => {
  connection.once("connect", resolve);
  connection.once("client.error", reject);
});
for (const message of messages) {
  const acked = new Promise((resolve) => (acknowledged = resolve));
  await connection.sendMessage(message);
  await acked;
}
clearTimeout(timer);
await connection.close();
process.exit(0);
