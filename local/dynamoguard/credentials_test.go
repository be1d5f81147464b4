package dynamoguard

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
)

func TestCredentialsAreMadeOnceAndReadByTheSDK(t *testing.T) {
	path := CredentialsPath(t.TempDir())
	first, created, err := LoadOrCreateCredentials(path, "authnotes-twin-dev")
	if err != nil || !created {
		t.Fatalf("LoadOrCreateCredentials on an empty state = %v, created %v; want new credentials", err, created)
	}
	if len(first.AccessKeyID) != 20 || !strings.HasPrefix(first.AccessKeyID, "LOCAL") || len(first.SecretAccessKey) != 40 {
		t.Errorf("new credentials %q / %d-character secret; want a 20-character LOCAL… key ID and a 40-character secret", first.AccessKeyID, len(first.SecretAccessKey))
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}
	again, created, err := LoadOrCreateCredentials(path, "authnotes-twin-dev")
	if err != nil || created || again.AccessKeyID != first.AccessKeyID || again.SecretAccessKey != first.SecretAccessKey {
		t.Errorf("second LoadOrCreateCredentials = %q, created %v, %v; want the same credentials read back", again.AccessKeyID, created, err)
	}
	if other := NewCredentials(); other.AccessKeyID == first.AccessKeyID || other.SecretAccessKey == first.SecretAccessKey {
		t.Error("NewCredentials repeated itself; want random credentials")
	}

	// What a developer does: the SDK's default chain with the file and the profile.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithSharedCredentialsFiles([]string{path}),
		config.WithSharedConfigFiles([]string{}), config.WithSharedConfigProfile("authnotes-twin-dev"), config.WithRegion(region))
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || got.AccessKeyID != first.AccessKeyID || got.SecretAccessKey != first.SecretAccessKey {
		t.Errorf("the SDK reads %q, %v from the file; want the twin's credentials", got.AccessKeyID, err)
	}
}

func TestBrokenCredentialsFileNamesTheFix(t *testing.T) {
	for name, content := range map[string]string{
		"another profile": "[someone-else]\naws_access_key_id = A\naws_secret_access_key = B\n",
		"no secret":       "[authnotes-twin-dev]\naws_access_key_id = A\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "aws-credentials")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadOrCreateCredentials(path, "authnotes-twin-dev")
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "delete the file") {
				t.Errorf("LoadOrCreateCredentials = %v; want an error naming %s and the fix", err, path)
			}
		})
	}
}
