package dynamoguard

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/authnotes/authnotes/local/privatefs"
)

// accessKeyPrefix starts every local access key ID: 20 characters like AWS's, but never mistaken for (or flagged
// by secret scanners as) a real AWS key, which starts with AKIA or ASIA.
const accessKeyPrefix = "LOCAL"

// NewCredentials makes random credentials: a 20-character access key ID and a 40-character secret.
func NewCredentials() aws.Credentials {
	id := make([]byte, 10)
	secret := make([]byte, 30)
	_, _ = rand.Read(id) // crypto/rand.Read never fails
	_, _ = rand.Read(secret)
	return aws.Credentials{
		AccessKeyID:     accessKeyPrefix + base32.StdEncoding.EncodeToString(id)[:15],
		SecretAccessKey: base64.RawStdEncoding.EncodeToString(secret),
		Source:          "authnotes twin",
	}
}

// LoadOrCreateCredentials reads the credentials of profile from the AWS shared-credentials file at path, with the
// AWS SDK's own parser (so the AWS CLI and the SDKs read the file the same way). When the file does not exist it
// writes new random credentials there, mode 0600, and reports created.
func LoadOrCreateCredentials(path, profile string) (creds aws.Credentials, created bool, err error) {
	switch _, err := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		creds = NewCredentials()
		if err := privatefs.WriteFile(path, credentialsFile(profile, creds)); err != nil {
			return aws.Credentials{}, false, fmt.Errorf("write the local DynamoDB credentials: %w", err)
		}
		return creds, true, nil
	case err != nil:
		return aws.Credentials{}, false, fmt.Errorf("read the local DynamoDB credentials: %w", err)
	}
	sc, err := config.LoadSharedConfigProfile(context.Background(), profile, func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles, o.ConfigFiles = []string{path}, []string{}
	})
	if err == nil && (sc.Credentials.AccessKeyID == "" || sc.Credentials.SecretAccessKey == "") {
		err = errors.New("aws_access_key_id or aws_secret_access_key is missing")
	}
	if err != nil {
		return aws.Credentials{}, false, fmt.Errorf("read the local DynamoDB credentials, profile %s in %s: %v (delete the file and the twin makes new ones)", profile, path, err)
	}
	sc.Credentials.Source = "authnotes twin"
	return sc.Credentials, false, nil
}

func credentialsFile(profile string, creds aws.Credentials) []byte {
	return fmt.Appendf(nil, `# The local twin's DynamoDB credentials (written by the twin once; delete this file for new ones).
# They open only the twin's own DynamoDB endpoint: see README.md, "Running offline".
[%s]
aws_access_key_id = %s
aws_secret_access_key = %s
`, profile, creds.AccessKeyID, creds.SecretAccessKey)
}

// CredentialsPath is where the twin keeps its credentials in a state directory.
func CredentialsPath(stateDir string) string { return filepath.Join(stateDir, "aws-credentials") }
