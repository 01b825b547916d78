package scope

import (
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/regulation"
)

func TestTenantValidate(t *testing.T) {
	good := Tenant{ID: "acme", Name: "ACME", Profile: regulation.Profile{
		Jurisdictions: []string{"US-CA"}, Roles: []string{regulation.RoleSECRegistrant}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", good, err)
	}
	for _, lang := range []string{"", "en", "de", "fr", "gsw"} {
		tn := good
		tn.Language = lang
		if err := tn.Validate(); err != nil {
			t.Errorf("Validate with language %q = %v, want nil", lang, err)
		}
	}
	for _, tc := range []struct {
		edit func(*Tenant)
		want string
	}{
		{func(t *Tenant) { t.ID = "ACME Inc" }, "id: "},
		{func(t *Tenant) { t.Name = " " }, "name: missing"},
		{func(t *Tenant) { t.Language = "DE" }, `language: "DE" is not a language subtag`},
		{func(t *Tenant) { t.Language = "de-CH" }, `language: "de-CH"`},
		{func(t *Tenant) { t.Language = "german" }, `language: "german"`},
		{func(t *Tenant) { t.Language = "e" }, `language: "e"`},
		{func(t *Tenant) { t.Profile.Jurisdictions = []string{"EU"} },
			"profile.jurisdictions[0]"},
		{func(t *Tenant) { t.Profile.DataCategories = []string{"pii"} },
			"profile.data_categories[0]"},
	} {
		tn := good
		tc.edit(&tn)
		if err := tn.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tn, err, tc.want)
		}
	}
}

func TestContactValidate(t *testing.T) {
	good := Contact{Tenant: "acme", Name: "Ana", Email: "ana@acme.example",
		Phone: "+1 (212) 555-0100", WebhookURL: "https://hooks.acme.example/x",
		Channel: ChannelWebhook}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", good, err)
	}
	for _, tc := range []struct {
		edit func(*Contact)
		want string
	}{
		{func(c *Contact) { c.Tenant = "" }, "tenant: "},
		{func(c *Contact) { c.Name = "" }, "name: missing"},
		{func(c *Contact) { c.Email = "Ana <ana@acme.example>" }, "email: "},
		{func(c *Contact) { c.Phone = "call me" }, "phone: "},
		{func(c *Contact) { c.WebhookURL = "ftp://hooks.acme.example" }, "webhook_url: "},
		{func(c *Contact) { c.WebhookURL = "https://user:pw@hooks.acme.example" }, "webhook_url: "},
		{func(c *Contact) { c.Channel = "pigeon" }, "preferred_channel: \"pigeon\""},
		{func(c *Contact) { c.Channel, c.Phone = ChannelPhone, "" },
			"preferred_channel: phone is preferred but phone is missing"},
		{func(c *Contact) { c.WebhookURL = "" },
			"preferred_channel: webhook is preferred but webhook_url is missing"},
	} {
		c := good
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", c, err, tc.want)
		}
	}
	portal := Contact{Tenant: "acme", Name: "Duty", Channel: ChannelPortal}
	if err := portal.Validate(); err != nil {
		t.Errorf("a portal contact needs no detail: %v", err)
	}
}

func TestContactStale(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		verified time.Time
		maxAge   time.Duration
		want     bool
	}{
		{time.Time{}, 0, true},
		{now.AddDate(0, 0, -179), 0, false},
		{now.AddDate(0, 0, -181), 0, true},
		{now.AddDate(0, 0, -31), 30 * 24 * time.Hour, true},
		{now.AddDate(0, 0, -29), 30 * 24 * time.Hour, false},
	} {
		c := Contact{Verified: tc.verified}
		if got := c.Stale(now, tc.maxAge); got != tc.want {
			t.Errorf("Stale(verified %v, max age %v) = %v, want %v", tc.verified, tc.maxAge,
				got, tc.want)
		}
	}
}
