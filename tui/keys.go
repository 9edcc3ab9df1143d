package tui

import "github.com/charmbracelet/bubbles/key"

// progressKeys are the key bindings of the progress view. They double as
// the help text shown by `?`.
type progressKeys struct {
	Log    key.Binding
	Up     key.Binding
	Down   key.Binding
	Help   key.Binding
	Cancel key.Binding
}

func newProgressKeys() progressKeys {
	return progressKeys{
		Log:    key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "toggle log")),
		Up:     key.NewBinding(key.WithKeys("up", "k", "pgup"), key.WithHelp("↑/pgup", "scroll log up")),
		Down:   key.NewBinding(key.WithKeys("down", "j", "pgdown"), key.WithHelp("↓/pgdn", "scroll log down")),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Cancel: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "stop (twice: quit now)")),
	}
}

// ShortHelp implements help.KeyMap.
func (k progressKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Log, k.Help, k.Cancel}
}

// FullHelp implements help.KeyMap.
func (k progressKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Log, k.Up, k.Down}, {k.Help, k.Cancel}}
}
