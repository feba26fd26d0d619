package main

import (
	"context"
	"fmt"

	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/shell"
)

// The shell's permission prompt at open: policies decides what to ask (Store.AskAtOpen) and
// what an answer does (Store.Decide); this shows the card.

// askPermissions asks about what so.Requests asks beyond policy and adjusts so to the answer.
// It returns a one-line notice for the bar ("" for none), the permissions denied (now or
// earlier; a failure to start names them), or ctx's error if the open was cancelled while the
// prompt was up.
func (h *shellHost) askPermissions(ctx context.Context, so *kernel.SpawnOptions, digest string) (note, denied string, err error) {
	if h.prompt == nil {
		return "", "", nil
	}
	st := h.k.Policies()
	q, denied := st.AskAtOpen(policies.Identity{Name: so.Name, Publisher: so.Publisher, Requests: so.Requests}, digest, h.denials)
	if q == nil {
		return "", denied, nil
	}
	choice, err := h.prompt(ctx, shell.PermissionPrompt{Module: so.Name, Lines: q.Lines})
	if err != nil {
		if ctx.Err() != nil {
			return "", "", context.Canceled
		}
		return "", "", err
	}
	d, err := st.Decide(q, answerOf(choice), h.denials)
	if err != nil {
		return "", "", err
	}
	so.Grants = d.Grants
	return d.Notice, d.Denied, nil
}

// answerOf maps the card's choice onto policy's answer.
func answerOf(c shell.Choice) policies.Answer {
	switch c {
	case shell.ChoiceAllowOnce:
		return policies.AllowOnce
	case shell.ChoiceAlways:
		return policies.AllowAlways
	}
	return policies.Deny
}

// deniedStart adds what the user denied to a failure to start: the likely reason.
func deniedStart(err error, denied string) error {
	if denied == "" {
		return err
	}
	return fmt.Errorf("%w (you denied it: %s)", err, denied)
}
