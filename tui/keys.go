package tui

import "github.com/charmbracelet/bubbles/key"

// progressKeys are the key bindings of the progress view. They double as
// the help text shown by `?`.
type progressKeys struct {
	Log      key.Binding
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	End      key.Binding
	Close    key.Binding
	Help     key.Binding
	Cancel   key.Binding
}

func newProgressKeys() progressKeys {
	return progressKeys{
		Log:      key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "log")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "log: older")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "log: newer")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "log: page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", " ", "f"), key.WithHelp("pgdn", "log: page down")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end", "log: follow")),
		Close:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close log/help")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Cancel:   key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "stop (twice: quit now)")),
	}
}

// ShortHelp implements help.KeyMap.
func (k progressKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Log, k.Help, k.Cancel}
}

// FullHelp implements help.KeyMap.
func (k progressKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Log, k.Close, k.Help}, {k.Up, k.Down, k.End}, {k.PageUp, k.PageDown, k.Cancel}}
}
