package main

import (
	"io"
	"testing"
)

func TestWebhookAllowPrivateFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     []string
		want    bool
		wantErr bool
	}{
		{name: "default refuses private targets", want: false},
		{name: "flag", args: []string{"--webhook-allow-private"}, want: true},
		{name: "environment", env: []string{"VIGIL_WEBHOOK_ALLOW_PRIVATE", "true"}, want: true},
		{name: "flag wins", args: []string{"--webhook-allow-private=false"},
			env: []string{"VIGIL_WEBHOOK_ALLOW_PRIVATE", "true"}, want: false},
		{name: "bad environment", env: []string{"VIGIL_WEBHOOK_ALLOW_PRIVATE", "maybe"},
			wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := resolveServeConfig(tt.args, envMap(tt.env...), io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if err == nil && got.notify.webhookAllowPrivate != tt.want {
				t.Errorf("webhookAllowPrivate = %v, want %v", got.notify.webhookAllowPrivate,
					tt.want)
			}
		})
	}
}
