using Praison.Actors.IntegrationTests.Support;
using Xunit;

namespace Praison.Actors.IntegrationTests.Persistence;

[Collection("durable")]
public class SqliteDurableTests : DurableStoreSuite
{
    protected override Task<TestStore> CreateStoreAsync() => Task.FromResult<TestStore>(new SqliteTestStore());

    [Fact] public Task Restart_keeps_states_results_and_order_on_sqlite() => Restart_keeps_states_results_and_order();
    [Fact] public Task A_restart_never_grants_a_fresh_timeout_on_sqlite() => A_restart_never_grants_a_fresh_timeout();
    [Fact] public Task Cleaned_up_tasks_leave_no_rows_on_sqlite() => Cleaned_up_tasks_leave_no_rows();
    [Fact] public Task A_second_process_can_read_and_cancel_pending_tasks_on_sqlite() => A_second_process_can_read_and_cancel_pending_tasks();
    [Fact] public Task A_second_process_cannot_cancel_a_task_its_host_runs_on_sqlite() => A_second_process_cannot_cancel_a_task_its_host_runs();
}

[Collection("durable")]
public class PostgresDurableTests : DurableStoreSuite
{
    protected override async Task<TestStore> CreateStoreAsync() => await PostgresTestStore.CreateAsync();

    [PostgresFact] public Task Restart_keeps_states_results_and_order_on_postgres() => Restart_keeps_states_results_and_order();
    [PostgresFact] public Task A_restart_never_grants_a_fresh_timeout_on_postgres() => A_restart_never_grants_a_fresh_timeout();
    [PostgresFact] public Task Cleaned_up_tasks_leave_no_rows_on_postgres() => Cleaned_up_tasks_leave_no_rows();
    [PostgresFact] public Task A_second_process_can_read_and_cancel_pending_tasks_on_postgres() => A_second_process_can_read_and_cancel_pending_tasks();
    [PostgresFact] public Task A_second_process_cannot_cancel_a_task_its_host_runs_on_postgres() => A_second_process_cannot_cancel_a_task_its_host_runs();
}
