package notify

import "context"

// Sender delivers a notification over one channel. Send returns nil only
// when the receiver accepted the message; any error is retried. Senders are
// safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, n *Notification) error
}

// SenderFunc adapts a function to a Sender.
type SenderFunc func(ctx context.Context, n *Notification) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, n *Notification) error { return f(ctx, n) }
