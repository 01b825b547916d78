package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/notify"
)

func TestResolveNotifyConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     []string
		want    notifyConfig
		wantErr string
	}{
		{
			name: "defaults",
			want: notifyConfig{smtp: notify.SMTPConfig{Port: 587},
				retry: notify.Retry{MaxAttempts: 8, Base: 30 * time.Second, Max: time.Hour}},
		},
		{
			name: "flags over environment",
			args: []string{"--smtp-host", "mail.example", "--smtp-port", "2525",
				"--notify-backoff", "5s"},
			env: []string{"VIGIL_SMTP_HOST", "other.example", "VIGIL_SMTP_FROM", "v@example.org",
				"VIGIL_SMTP_USER", "vigil", "VIGIL_SMTP_PASSWORD", "pw-from-env",
				"VIGIL_NOTIFY_MAX_ATTEMPTS", "3", "VIGIL_NOTIFY_BACKOFF", "1m",
				"VIGIL_SMTP_REQUIRE_TLS", "true"},
			want: notifyConfig{smtp: notify.SMTPConfig{Host: "mail.example", Port: 2525,
				From: "v@example.org", User: "vigil", Password: "pw-from-env",
				RequireTLS: true},
				retry: notify.Retry{MaxAttempts: 3, Base: 5 * time.Second, Max: time.Hour}},
		},
		{
			name: "notices",
			args: []string{"--notice-contact", "SOC, soc@cloud.example"},
			env: []string{"VIGIL_NOTICE_PROVIDER", "Example Cloud", "VIGIL_NOTICE_CONTACT",
				"ignored", "VIGIL_NOTICE_WEBHOOK_SECRET", "k3y"},
			want: notifyConfig{smtp: notify.SMTPConfig{Port: 587},
				retry: notify.Retry{MaxAttempts: 8, Base: 30 * time.Second, Max: time.Hour},
				notice: noticeConfig{provider: "Example Cloud",
					contact: "SOC, soc@cloud.example", webhookSecret: "k3y"}},
		},
		{name: "host without from", args: []string{"--smtp-host", "m"},
			wantErr: "needs --smtp-from"},
		{name: "bad attempts", env: []string{"VIGIL_NOTIFY_MAX_ATTEMPTS", "0"},
			wantErr: "VIGIL_NOTIFY_MAX_ATTEMPTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := resolveServeConfig(tt.args, envMap(tt.env...), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			diff := cmp.Diff(tt.want, got.notify, cmp.AllowUnexported(notifyConfig{},
				noticeConfig{}))
			if diff != "" {
				t.Errorf("notify config (-want +got):\n%s", diff)
			}
			if got.notify.smtp.Password.Reveal() != tt.want.smtp.Password.Reveal() {
				t.Error("password differs")
			}
		})
	}
}
