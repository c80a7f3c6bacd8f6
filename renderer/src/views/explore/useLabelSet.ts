import { useEffect, useMemo, useState } from 'react';
import type { DatasetSummary } from '../../../../electron/api/contract';
import { useAppStore } from '../../state/appStore';
import { useLatentStore, type Encoding } from '../../state/latentStore';
import { useViewState } from '../../state/viewState';

type Relabel = { names: string[]; labels: number[] };
/** Label sets fetched this session, by dataset and set: they never change while the app runs. */
const fetched = new Map<string, Relabel>();

/**
 * Which of a dataset's label sets Explore colours by (an emoji's design system or its category), and the
 * encoding relabelled with it. The first set is the one the encoding came with; others are fetched once.
 */
export function useLabelSet(dataset: DatasetSummary | undefined, encoding: Encoding | undefined) {
  const client = useAppStore((s) => s.client);
  const showOnly = useLatentStore((s) => s.showOnly);
  const [chosen, setChosen] = useViewState(`explore.labelSet.${dataset?.id ?? ''}`, 0);
  const [relabel, setRelabel] = useState<Relabel>();
  const sets = dataset?.labelSets ?? [];
  const set = chosen < sets.length ? chosen : 0;
  const key = `${dataset?.id}\u0000${set}`;

  useEffect(() => {
    if (!client || !dataset || set === 0) return setRelabel(undefined);
    const known = fetched.get(key);
    if (known) return setRelabel(known);
    let live = true;
    void client.invoke('dataset.labels', { dataset: dataset.id, set }).then(({ names, labels }) => {
      fetched.set(key, { names, labels });
      if (live) setRelabel({ names, labels });
    });
    return () => {
      live = false;
    };
  }, [client, dataset, set, key]);

  const shown = useMemo(() => (encoding && relabel && relabel.labels.length === encoding.labels.length ? { ...encoding, labels: relabel.labels } : encoding), [encoding, relabel]);
  return {
    sets,
    set,
    /** Label names for the legend and previews, as the chosen set names them. */
    labels: set > 0 && relabel && shown !== encoding ? relabel.names : (dataset?.labels ?? []),
    /** Until another set's labels arrive, the encoding keeps its own (and the legend their names). */
    encoding: shown,
    choose: (next: number) => {
      // Hidden classes are numbers of the old set: show everything again.
      showOnly(null, 0);
      setChosen(next);
    },
  };
}
