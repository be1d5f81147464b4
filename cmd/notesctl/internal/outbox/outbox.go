// Package outbox reads confirmation codes from the local Cognito endpoint's outbox (GET /_local/outbox), where
// the twin "sends" what Cognito would e-mail.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// message is the part of an outbox message a code lookup needs.
type message struct {
	Username    string `json:"username"`
	Destination string `json:"destination"`
	Purpose     string `json:"purpose"`
	Code        string `json:"code"`
}

// LatestCode returns the newest code sent to username (a user name or a destination address) by the Cognito
// endpoint at endpoint.
func LatestCode(ctx context.Context, endpoint, username string) (string, error) {
	u := strings.TrimSuffix(endpoint, "/") + "/_local/outbox?to=" + url.QueryEscape(username)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("read the outbox: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("read the outbox (is the twin running?): %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return "", fmt.Errorf("read the outbox: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("read the outbox %s: status %d: %s", u, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	var box struct {
		Messages []message `json:"messages"`
	}
	if err := json.Unmarshal(b, &box); err != nil {
		return "", fmt.Errorf("outbox %s is not the local Cognito outbox: %w", u, err)
	}
	for i := len(box.Messages) - 1; i >= 0; i-- {
		m := box.Messages[i]
		if m.Code != "" && (strings.EqualFold(m.Username, username) || strings.EqualFold(m.Destination, username)) {
			return m.Code, nil
		}
	}
	return "", fmt.Errorf("no code for %s in the outbox %s", username, u)
}
