package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/vigilsec/vigil/internal/audit"
	"github.com/vigilsec/vigil/internal/evidence"
	"github.com/vigilsec/vigil/internal/store"
)

// openEvidence returns the evidence service of vigil serve: blobs under
// <data>/evidence (mode 0700) whatever the store, records and custody in
// st. With --store postgres the blobs still stay on this machine's --data
// folder (docs/evidence.md).
func openEvidence(dataDir string, st store.Store, log *slog.Logger) (*evidence.Service, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	root := filepath.Join(dataDir, "evidence")
	blobs, err := evidence.NewFileBlobs(root)
	if err != nil {
		return nil, err
	}
	svc, err := evidence.New(evidence.Config{Store: store.View[evidence.Tx]{Store: st},
		Blobs: blobs, Audit: audit.New(st, nil)})
	if err != nil {
		return nil, err
	}
	log.Info("evidence store opened", "path", root)
	return svc, nil
}
