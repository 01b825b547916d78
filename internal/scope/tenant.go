package scope

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/regulation"
)

// DefaultStaleAfter is how long a contact's details stay fresh after they
// were last verified: 180 days.
const DefaultStaleAfter = 180 * 24 * time.Hour

// Tenant is a customer of the provider: its ID (a slug, CheckID), name,
// regulatory profile and the language its notices are preferably drafted
// in (Language, optional; CheckLanguage). Version counts its stored
// changes (optimistic concurrency); Created and Updated are the store's
// clock.
type Tenant struct {
	ID       string             `json:"id"`
	Name     string             `json:"name"`
	Profile  regulation.Profile `json:"profile"`
	Language string             `json:"language,omitempty"`
	Version  int64              `json:"version"`
	Created  time.Time          `json:"created"`
	Updated  time.Time          `json:"updated"`
}

// Normalize trims the ID, name and language and gives every profile list a value,
// so that JSON shows [] rather than null.
func (t *Tenant) Normalize() {
	t.ID, t.Name = strings.TrimSpace(t.ID), strings.TrimSpace(t.Name)
	t.Language = strings.TrimSpace(t.Language)
	for _, l := range []*[]string{&t.Profile.Jurisdictions, &t.Profile.Roles,
		&t.Profile.DataCategories} {
		if *l == nil {
			*l = []string{}
		}
	}
}

// Validate reports the first problem of t: its ID, an empty name, a
// malformed language, or a profile value outside the vocabulary (naming
// the field).
func (t *Tenant) Validate() error {
	if err := CheckID(t.ID); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if strings.TrimSpace(t.Name) == "" {
		return errors.New("name: missing")
	}
	if err := CheckLanguage(t.Language); err != nil {
		return fmt.Errorf("language: %w", err)
	}
	if err := t.Profile.Validate(); err != nil {
		return fmt.Errorf("profile.%w", err)
	}
	return nil
}

// languagePattern is a BCP 47 primary language subtag as Vigil keeps it.
var languagePattern = regexp.MustCompile(`^[a-z]{2,3}$`)

// CheckLanguage reports whether lang is empty (no preference) or a BCP 47
// primary language subtag in lowercase: two or three letters such as "en",
// "de" or "fr". A region or script ("de-CH", "zh-Hant") is refused: notice
// templates are kept per language only.
func CheckLanguage(lang string) error {
	if lang == "" || languagePattern.MatchString(lang) {
		return nil
	}
	return fmt.Errorf("%q is not a language subtag (2 or 3 lowercase letters, such as "+
		"\"en\", \"de\" or \"fr\")", lang)
}

// The channels through which a contact prefers to be told.
const (
	ChannelEmail   = "email"
	ChannelPhone   = "phone"
	ChannelWebhook = "webhook"
	ChannelPortal  = "portal"
)

// Channels lists the accepted preferred channels.
func Channels() []string {
	return []string{ChannelEmail, ChannelPhone, ChannelWebhook, ChannelPortal}
}

// Contact is one of a tenant's designated administrators: who to tell
// when an incident touches the tenant, and how. Verified is when the
// details were last confirmed with the person; they go stale after a
// configurable age (Stale). Version counts stored changes.
type Contact struct {
	ID         int64     `json:"id"`
	Tenant     string    `json:"tenant"`
	Name       string    `json:"name"`
	Email      string    `json:"email,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	WebhookURL string    `json:"webhook_url,omitempty"`
	Channel    string    `json:"preferred_channel"`
	Verified   time.Time `json:"last_verified,omitzero"`
	Version    int64     `json:"version"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
}

// phonePattern accepts international numbers as people write them.
var phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ().-]{4,30}$`)

// Validate reports the first problem of c, naming the field: no tenant or
// name, a malformed e-mail address, phone number or webhook URL (https,
// or http for tests), an unknown channel, or a preferred channel whose
// detail is missing.
func (c *Contact) Validate() error {
	switch {
	case CheckID(c.Tenant) != nil:
		return fmt.Errorf("tenant: %w", CheckID(c.Tenant))
	case strings.TrimSpace(c.Name) == "":
		return errors.New("name: missing")
	case !slices.Contains(Channels(), c.Channel):
		return fmt.Errorf("preferred_channel: %q is not one of %s", c.Channel,
			strings.Join(Channels(), ", "))
	}
	if c.Email != "" {
		a, err := mail.ParseAddress(c.Email)
		if err != nil || a.Address != c.Email || a.Name != "" {
			return fmt.Errorf("email: %q is not a bare e-mail address", c.Email)
		}
	}
	if c.Phone != "" && !phonePattern.MatchString(c.Phone) {
		return fmt.Errorf("phone: %q is not a phone number (digits, an optional +, spaces, "+
			"dots, dashes or parentheses)", c.Phone)
	}
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.User != nil {
			return fmt.Errorf("webhook_url: %q is not an https URL without credentials",
				c.WebhookURL)
		}
	}
	detail := map[string]string{ChannelEmail: c.Email, ChannelPhone: c.Phone,
		ChannelWebhook: c.WebhookURL, ChannelPortal: "portal"}
	if detail[c.Channel] == "" {
		return fmt.Errorf("preferred_channel: %s is preferred but %s is missing", c.Channel,
			map[string]string{ChannelEmail: "email", ChannelPhone: "phone",
				ChannelWebhook: "webhook_url"}[c.Channel])
	}
	return nil
}

// Stale reports whether c's details are older than maxAge at now: never
// verified, or verified before now-maxAge. A maxAge of 0 means
// DefaultStaleAfter.
func (c *Contact) Stale(now time.Time, maxAge time.Duration) bool {
	if maxAge <= 0 {
		maxAge = DefaultStaleAfter
	}
	return c.Verified.IsZero() || c.Verified.Before(now.Add(-maxAge))
}
