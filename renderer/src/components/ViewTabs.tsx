import { useRef, type KeyboardEvent } from 'react';
import { VIEWS, useAppStore } from '../state/appStore';

const isMac = navigator.platform.toLowerCase().includes('mac');
const modifier = isMac ? '⌘' : 'Ctrl+';

/** The view switcher: a tab list with arrow-key navigation; Ctrl/⌘+1…6 work from anywhere. */
export function ViewTabs() {
  const view = useAppStore((s) => s.view);
  const setView = useAppStore((s) => s.setView);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);

  function onKeyDown(event: KeyboardEvent) {
    const index = VIEWS.findIndex((v) => v.id === view);
    const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[event.key];
    const next = step !== undefined ? (index + step + VIEWS.length) % VIEWS.length : event.key === 'Home' ? 0 : event.key === 'End' ? VIEWS.length - 1 : -1;
    if (next < 0) return;
    event.preventDefault();
    setView(VIEWS[next]!.id);
    tabs.current[next]?.focus();
  }

  return (
    <nav role="tablist" aria-label="Views" aria-orientation="vertical" className="flex flex-col gap-1 p-2" onKeyDown={onKeyDown}>
      {VIEWS.map((v, i) => {
        const selected = v.id === view;
        return (
          <button
            key={v.id}
            ref={(el) => {
              tabs.current[i] = el;
            }}
            role="tab"
            id={`tab-${v.id}`}
            aria-selected={selected}
            aria-controls="view-panel"
            tabIndex={selected ? 0 : -1}
            title={`${v.hint} (${modifier}${i + 1})`}
            onClick={() => setView(v.id)}
            className={`rounded px-3 py-2 text-left text-sm ${selected ? 'bg-panel-raised text-ink' : 'text-muted hover:bg-panel-raised/60 hover:text-ink'}`}
          >
            <span className={selected ? 'border-l-2 border-accent pl-2' : 'pl-2.5'}>{v.label}</span>
          </button>
        );
      })}
    </nav>
  );
}
