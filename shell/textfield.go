package shell

import (
	"strings"
	"unicode"
)

// TextField is the editing model of the URL bar: a line of text, a cursor and a selection.
// It is pure Go (no GLFW), so every editing rule is table-tested. Positions are rune indexes
// in 0..Len(). The selection is the range between Anchor and Cursor; it is empty when they
// are equal. Every mutating method keeps 0 <= Anchor, Cursor <= Len().
type TextField struct {
	text   []rune
	cursor int
	anchor int
}

// Text returns the whole line.
func (f *TextField) Text() string { return string(f.text) }

// Len is the number of runes in the line.
func (f *TextField) Len() int { return len(f.text) }

// Cursor is the cursor's rune index.
func (f *TextField) Cursor() int { return f.cursor }

// Selection returns the selected range [start, end); start == end when nothing is selected.
func (f *TextField) Selection() (start, end int) {
	if f.anchor < f.cursor {
		return f.anchor, f.cursor
	}
	return f.cursor, f.anchor
}

// HasSelection reports whether a non-empty range is selected.
func (f *TextField) HasSelection() bool { return f.anchor != f.cursor }

// SelectedText returns the selected text ("" when nothing is selected).
func (f *TextField) SelectedText() string {
	s, e := f.Selection()
	return string(f.text[s:e])
}

// SetText replaces the line, puts the cursor at the end and clears the selection.
func (f *TextField) SetText(s string) {
	f.text = []rune(sanitize(s))
	f.cursor = len(f.text)
	f.anchor = f.cursor
}

// Insert replaces the selection (if any) with s. Line breaks and control characters in s
// become spaces, so pasting a multi-line clipboard gives one line.
func (f *TextField) Insert(s string) {
	ins := []rune(sanitize(s))
	st, en := f.Selection()
	out := make([]rune, 0, len(f.text)-(en-st)+len(ins))
	out = append(out, f.text[:st]...)
	out = append(out, ins...)
	out = append(out, f.text[en:]...)
	f.text = out
	f.cursor = st + len(ins)
	f.anchor = f.cursor
}

// Backspace deletes the selection, or the rune (word when word is set) before the cursor.
func (f *TextField) Backspace(word bool) {
	if f.deleteSelection() {
		return
	}
	to := f.cursor - 1
	if word {
		to = f.wordLeft(f.cursor)
	}
	if to < 0 {
		return
	}
	f.anchor = to
	f.deleteSelection()
}

// Delete deletes the selection, or the rune (word when word is set) after the cursor.
func (f *TextField) Delete(word bool) {
	if f.deleteSelection() {
		return
	}
	to := f.cursor + 1
	if word {
		to = f.wordRight(f.cursor)
	}
	if to > len(f.text) {
		return
	}
	f.anchor = to
	f.deleteSelection()
}

// Left moves the cursor one rune (or word) left. With extend the selection grows; without it
// a selection collapses to its start.
func (f *TextField) Left(word, extend bool) {
	if !extend && f.HasSelection() && !word {
		s, _ := f.Selection()
		f.MoveTo(s, false)
		return
	}
	to := f.cursor - 1
	if word {
		to = f.wordLeft(f.cursor)
	}
	f.MoveTo(to, extend)
}

// Right moves the cursor one rune (or word) right; see Left.
func (f *TextField) Right(word, extend bool) {
	if !extend && f.HasSelection() && !word {
		_, e := f.Selection()
		f.MoveTo(e, false)
		return
	}
	to := f.cursor + 1
	if word {
		to = f.wordRight(f.cursor)
	}
	f.MoveTo(to, extend)
}

// Home moves the cursor to the start of the line.
func (f *TextField) Home(extend bool) { f.MoveTo(0, extend) }

// End moves the cursor to the end of the line.
func (f *TextField) End(extend bool) { f.MoveTo(len(f.text), extend) }

// MoveTo puts the cursor at pos (clamped). With extend the anchor stays, selecting the range
// between; without it the selection is cleared. Mouse clicks and drags use it.
func (f *TextField) MoveTo(pos int, extend bool) {
	f.cursor = clamp(pos, 0, len(f.text))
	if !extend {
		f.anchor = f.cursor
	}
}

// SelectAll selects the whole line (Ctrl+A).
func (f *TextField) SelectAll() {
	f.anchor = 0
	f.cursor = len(f.text)
}

// SelectWord selects the word (or run of separators) around pos (double click).
func (f *TextField) SelectWord(pos int) {
	pos = clamp(pos, 0, len(f.text))
	if len(f.text) == 0 {
		f.anchor, f.cursor = 0, 0
		return
	}
	at := pos
	if at == len(f.text) {
		at--
	}
	cls := runeClass(f.text[at])
	s, e := at, at+1
	for s > 0 && runeClass(f.text[s-1]) == cls {
		s--
	}
	for e < len(f.text) && runeClass(f.text[e]) == cls {
		e++
	}
	f.anchor, f.cursor = s, e
}

// Cut removes the selection and returns it ("" and no change when nothing is selected).
func (f *TextField) Cut() string {
	s := f.SelectedText()
	f.deleteSelection()
	return s
}

func (f *TextField) deleteSelection() bool {
	if !f.HasSelection() {
		return false
	}
	s, e := f.Selection()
	f.text = append(f.text[:s:s], f.text[e:]...)
	f.cursor, f.anchor = s, s
	return true
}

// wordLeft is the start of the word before pos: skip separators, then word runes.
func (f *TextField) wordLeft(pos int) int {
	for pos > 0 && runeClass(f.text[pos-1]) != classWord {
		pos--
	}
	for pos > 0 && runeClass(f.text[pos-1]) == classWord {
		pos--
	}
	return pos
}

// wordRight is the end of the word after pos: skip separators, then word runes.
func (f *TextField) wordRight(pos int) int {
	n := len(f.text)
	for pos < n && runeClass(f.text[pos]) != classWord {
		pos++
	}
	for pos < n && runeClass(f.text[pos]) == classWord {
		pos++
	}
	return pos
}

const (
	classWord = iota
	classSpace
	classPunct
)

// runeClass splits a URL the way a browser's URL bar does: letters and digits form words;
// "/", ":", "." and other punctuation stop a word, so Ctrl+Left hops between path parts.
func runeClass(r rune) int {
	switch {
	case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-':
		return classWord
	case unicode.IsSpace(r):
		return classSpace
	default:
		return classPunct
	}
}

func sanitize(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
