package audit

import "context"

// SystemActor is the actor of changes that no caller asked for by name:
// detection on events from files, start-up, timers.
const SystemActor = "system"

// TokenActor returns the actor of a change made with an API token:
// "token:<name>".
func TokenActor(name string) string { return "token:" + name }

// UserActor returns the actor of a change made by a signed-in user:
// "user:<name>".
func UserActor(name string) string { return "user:" + name }

type actorKey struct{}

// WithActor returns a context that names who is acting, for the entries
// recorded while it is in use (the API sets it from the bearer token).
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor set by WithActor, or SystemActor.
func ActorFrom(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return SystemActor
}
