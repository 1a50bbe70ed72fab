// Test-only: reads credentials the way a Node.js program on the AWS SDK for
// JavaScript v3 would, and prints them as one JSON line on stdout.
//
//	node caller.mjs fromIni|fromProcess|fromNodeProviderChain [PROFILE]
//
// fromNodeProviderChain takes the profile from AWS_PROFILE, as programs do.
import { fromIni, fromNodeProviderChain, fromProcess } from "@aws-sdk/credential-providers";

const [how, profile] = process.argv.slice(2);
const providers = {
  fromIni: () => fromIni({ profile }),
  fromProcess: () => fromProcess({ profile }),
  fromNodeProviderChain: () => fromNodeProviderChain(),
};
if (!providers[how]) {
  console.error(`usage: node caller.mjs ${Object.keys(providers).join("|")} [PROFILE]`);
  process.exit(2);
}
try {
  const c = await providers[how]()();
  process.stdout.write(JSON.stringify({
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.sessionToken,
    expiration: c.expiration ? c.expiration.toISOString() : "",
    accountId: c.accountId ?? "",
  }) + "\n");
} catch (e) {
  console.error(`${how}: ${e.name}: ${e.message}`);
  process.exit(1);
}
