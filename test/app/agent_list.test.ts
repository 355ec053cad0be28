import { Agent } from '../../contract/resources';
import { sampleAgent } from '../../contract/samples';
import { app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const trigger = App.triggers.agent_list;
const second = { ...sampleAgent, id: '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d', name: 'Noah (outbound)' };

describe('agent_list (hidden trigger behind the Agent dropdowns)', () => {
  useNock();

  it("is hidden, paginated, and feeds lead.agent_id and the appointments' assigned_to", () => {
    expect(trigger.display.hidden).toBe(true);
    expect(trigger.operation).toMatchObject({ canPaginate: true, type: 'polling' });
    expect(() => Agent.parse(trigger.operation.sample)).not.toThrow();
    const fieldOf = (create: string, key: string) => App.creates[create].operation.inputFields.find((f: { key: string }) => f.key === key);
    expect(fieldOf('lead', 'agent_id')).toMatchObject({ dynamic: 'agent_list.id.name' });
    expect(fieldOf('appointment', 'assigned_to')).toMatchObject({ dynamic: 'agent_list.id.name' });
    expect(fieldOf('appointment_update', 'assigned_to')).toMatchObject({ dynamic: 'agent_list.id.name' });
  });

  it('lists only outbound agents, asking for page bundle.meta.page + 1', async () => {
    api()
      .get('/api/v1/agents')
      .query({ direction: 'outbound', page: '1', per_page: '100' })
      .reply(200, { data: [sampleAgent, second], meta: { page: 1, per_page: 100, total: 2 } });
    await expect(appTester(trigger.operation.perform as never, { authData, meta: { page: 0 } })).resolves.toEqual([sampleAgent, second]);

    api()
      .get('/api/v1/agents')
      .query({ direction: 'outbound', page: '2', per_page: '100' })
      .reply(200, { data: [], meta: { page: 2, per_page: 100, total: 2 } });
    await expect(appTester(trigger.operation.perform as never, { authData, meta: { page: 1 } })).resolves.toEqual([]);
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().get('/api/v1/agents').query(true),
      () => appTester(trigger.operation.perform as never, { authData, meta: { page: 0 } }),
      { repeatable: true },
    );
  });
});
