// Command floor prints a fixed credential_process JSON object: the floor
// against which scripts/bench.sh measures sso-credproc's warm path.
package main

import "os"

const creds = `{"Version":1,"AccessKeyId":"ASIAEXAMPLEEXAMPLE00","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","SessionToken":"FwoGZXIvYXdzEXAMPLE","Expiration":"2026-11-29T12:00:00Z","AccountId":"111122223333"}` + "\n"

func main() {
	os.Stdout.WriteString(creds)
}
