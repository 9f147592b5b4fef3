// In one release with a shared proxy, the injector's Pods and the proxy's are told apart by every selector:
// the proxy's Service never sends clients to an injector, and neither PDB or NetworkPolicy counts or
// restricts the other's Pods.
import t from 'tap';
import { findAll, isInjector, render, type K8sObject } from './helm';

const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

function selectors(objs: K8sObject[]): Array<[string, Record<string, string>]> {
  return objs.flatMap((o): Array<[string, Record<string, string>]> => {
    const name = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Service') return [[name, o.spec.selector]];
    if (o.kind === 'Deployment' || o.kind === 'PodDisruptionBudget') return [[name, o.spec.selector.matchLabels]];
    if (o.kind === 'NetworkPolicy') return [[name, o.spec.podSelector.matchLabels]];
    return [];
  });
}

t.test('service mode and the injector: disjoint selectors', async (t) => {
  const objs = render({ values: ['chart/ci/injector-cert-manager-values.yaml'], set: ['networkPolicy.enabled=true'] });
  const pods = findAll(objs, 'Deployment').map((d) => ({ injector: isInjector(d), labels: d.spec.template.metadata.labels as Record<string, string> }));
  t.equal(pods.length, 2, 'the proxy and the injector');
  const list = selectors(objs);
  t.ok(list.length >= 6, `${list.length} selectors`);
  for (const [name, selector] of list) {
    const own = isInjector(objs.find((o) => `${o.kind}/${o.metadata.name}` === name)!);
    for (const pod of pods) {
      t.equal(
        matches(selector, pod.labels),
        pod.injector === own,
        `${name} ${pod.injector === own ? 'selects' : 'leaves alone'} the ${pod.injector ? 'injector' : 'proxy'} Pods`,
      );
    }
  }
});
