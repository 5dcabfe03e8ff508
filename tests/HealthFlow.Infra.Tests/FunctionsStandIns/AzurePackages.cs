// Stand-ins for the Azure packages functions/HealthFlow.Functions uses and this machine cannot restore, for
// FunctionsCompileCheck only (not compiled into the test assembly). Each declares just the members the project uses,
// in the shape it uses them, so that every use of HealthFlow in the project binds and is checked. That this shape is the
// packages' real API is checked against their source (the remarks in each file of the project) and by the GitHub
// build. A new use of a package there needs its member here.
#pragma warning disable
namespace Microsoft.Azure.Functions.Worker
{
    public enum AuthorizationLevel { Anonymous, User, Function, System, Admin }

    public sealed class FunctionAttribute(string name) : Attribute { public string Name => name; }

    public sealed class HttpTriggerAttribute(AuthorizationLevel authLevel, params string[] methods) : Attribute { public string? Route { get; set; } }

    public sealed class ServiceBusTriggerAttribute(string topicName, string subscriptionName) : Attribute
    {
        public string? Connection { get; set; }
        public bool IsSessionsEnabled { get; set; }
    }

    public sealed class TimerTriggerAttribute(string schedule) : Attribute;

    public class TimerInfo;

    public sealed class DurableClientAttribute : Attribute;

    public sealed class ActivityTriggerAttribute : Attribute;

    public sealed class OrchestrationTriggerAttribute : Attribute;

    public abstract class FunctionContext
    {
        public abstract FunctionDefinition FunctionDefinition { get; }
        public abstract BindingContext BindingContext { get; }
        public abstract CancellationToken CancellationToken { get; }
    }

    public abstract class FunctionDefinition { public abstract string Name { get; } }

    public abstract class BindingContext { public abstract IReadOnlyDictionary<string, object?> BindingData { get; } }
}

namespace Microsoft.Azure.Functions.Worker.Builder
{
    using Microsoft.Extensions.Configuration;
    using Microsoft.Extensions.DependencyInjection;
    using Microsoft.Extensions.Hosting;

    public static class FunctionsApplication
    {
        public static FunctionsApplicationBuilder CreateBuilder(string[] args) => throw new NotSupportedException();
    }

    public sealed class FunctionsApplicationBuilder
    {
        public IServiceCollection Services => throw new NotSupportedException();
        public IConfiguration Configuration => throw new NotSupportedException();
        public IHost Build() => throw new NotSupportedException();
        public FunctionsApplicationBuilder ConfigureFunctionsWebApplication() => this;
    }
}

namespace Microsoft.DurableTask
{
    public readonly struct TaskName(string name)
    {
        public string Name => name;
        public static implicit operator TaskName(string name) => new(name);
        public override string ToString() => name;
    }

    public abstract class TaskOrchestrationContext
    {
        public abstract TaskName Name { get; }
        public abstract string InstanceId { get; }
        public abstract DateTime CurrentUtcDateTime { get; }
        public abstract bool IsReplaying { get; }
        public abstract T? GetInput<T>();
        public abstract Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null);
        public abstract Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null);
        public abstract Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken);
        public abstract Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default);
        public abstract void SetCustomStatus(object? customStatus);
        public abstract Guid NewGuid();
    }

    public class TaskOptions
    {
        public static TaskOptions FromRetryPolicy(RetryPolicy policy) => new();
    }

    public class SubOrchestrationOptions(TaskRetryOptions? retry = null, string? instanceId = null) : TaskOptions;

    public class TaskRetryOptions(RetryPolicy policy);

    public class RetryPolicy(int maxNumberOfAttempts, TimeSpan firstRetryInterval, double backoffCoefficient = 1.0, TimeSpan? maxRetryInterval = null, TimeSpan? retryTimeout = null);

    public class TaskFailedException : Exception
    {
        public string TaskName => throw new NotSupportedException();
        public int TaskId => throw new NotSupportedException();
        public TaskFailureDetails FailureDetails => throw new NotSupportedException();
    }

    public sealed record TaskFailureDetails(string ErrorType, string ErrorMessage, string? StackTrace, TaskFailureDetails? InnerFailure);
}

namespace Microsoft.DurableTask.Client
{
    public enum OrchestrationRuntimeStatus { Running, Completed, ContinuedAsNew, Failed, Canceled, Terminated, Pending, Suspended }

    public sealed record StartOrchestrationOptions(string? InstanceId = null);

    public sealed record OrchestrationQuery
    {
        public IEnumerable<OrchestrationRuntimeStatus>? Statuses { get; init; }
        public string? InstanceIdPrefix { get; init; }
        public DateTimeOffset? CreatedFrom { get; init; }
        public DateTimeOffset? CreatedTo { get; init; }
        public int PageSize { get; init; }
        public bool FetchInputsAndOutputs { get; init; }
        public string? ContinuationToken { get; init; }
    }

    public sealed class OrchestrationMetadata
    {
        public string Name => throw new NotSupportedException();
        public string InstanceId => throw new NotSupportedException();
        public OrchestrationRuntimeStatus RuntimeStatus => throw new NotSupportedException();
        public DateTimeOffset CreatedAt => throw new NotSupportedException();
        public DateTimeOffset LastUpdatedAt => throw new NotSupportedException();
        public string? SerializedInput => throw new NotSupportedException();
        public string? SerializedOutput => throw new NotSupportedException();
        public string? SerializedCustomStatus => throw new NotSupportedException();
        public Microsoft.DurableTask.TaskFailureDetails? FailureDetails => throw new NotSupportedException();
        public bool IsCompleted => throw new NotSupportedException();
    }

    public sealed class Page<T>(IReadOnlyList<T> values, string? continuationToken)
    {
        public IReadOnlyList<T> Values => values;
        public string? ContinuationToken => continuationToken;
    }

    public abstract class AsyncPageable<T> : IAsyncEnumerable<T>
    {
        public abstract IAsyncEnumerable<Page<T>> AsPages(string? continuationToken = null, int? pageSizeHint = null);
        public abstract IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default);
    }

    public abstract class DurableTaskClient
    {
        public abstract Task<string> ScheduleNewOrchestrationInstanceAsync(Microsoft.DurableTask.TaskName orchestratorName, object? input, StartOrchestrationOptions? options, CancellationToken cancellation = default);
        public abstract Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs, CancellationToken cancellation = default);
        public abstract AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null);
        public abstract Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload, CancellationToken cancellation = default);
        public abstract Task TerminateInstanceAsync(string instanceId, object? output, CancellationToken cancellation = default);
        public abstract Task RewindInstanceAsync(string instanceId, string reason, CancellationToken cancellation = default);
        public abstract Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs, CancellationToken cancellation = default);
    }
}

namespace Azure.Messaging.ServiceBus
{
    public class ServiceBusClient(string fullyQualifiedNamespace, Azure.Core.TokenCredential credential) : IAsyncDisposable
    {
        public virtual ServiceBusSender CreateSender(string queueOrTopicName) => throw new NotSupportedException();
        public virtual ServiceBusReceiver CreateReceiver(string topicName, string subscriptionName, ServiceBusReceiverOptions options) => throw new NotSupportedException();
        public ValueTask DisposeAsync() => default;
    }

    public class ServiceBusSender : IAsyncDisposable
    {
        public virtual ValueTask<ServiceBusMessageBatch> CreateMessageBatchAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public virtual Task SendMessagesAsync(ServiceBusMessageBatch messageBatch, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public ValueTask DisposeAsync() => default;
    }

    public sealed class ServiceBusMessageBatch : IDisposable
    {
        public int Count => throw new NotSupportedException();
        public long MaxSizeInBytes => throw new NotSupportedException();
        public bool TryAddMessage(ServiceBusMessage message) => throw new NotSupportedException();
        public void Dispose() { }
    }

    public enum SubQueue { None, DeadLetter, TransferDeadLetter }

    public class ServiceBusReceiverOptions { public SubQueue SubQueue { get; set; } }

    public class ServiceBusReceiver : IAsyncDisposable
    {
        public virtual Task<IReadOnlyList<ServiceBusReceivedMessage>> PeekMessagesAsync(int maxMessages, long? fromSequenceNumber = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public ValueTask DisposeAsync() => default;
    }

    public class ServiceBusMessage(ReadOnlyMemory<byte> body)
    {
        public string? MessageId { get; set; }
        public string? Subject { get; set; }
        public string? CorrelationId { get; set; }
        public string? ContentType { get; set; }
        public string? SessionId { get; set; }
        public DateTimeOffset ScheduledEnqueueTime { get; set; }
        public IDictionary<string, object> ApplicationProperties => throw new NotSupportedException();
    }

    public class ServiceBusReceivedMessage
    {
        public BinaryData Body => throw new NotSupportedException();
        public string MessageId => throw new NotSupportedException();
        public string Subject => throw new NotSupportedException();
        public string SessionId => throw new NotSupportedException();
        public string CorrelationId => throw new NotSupportedException();
        public long SequenceNumber => throw new NotSupportedException();
        public int DeliveryCount => throw new NotSupportedException();
        public DateTimeOffset EnqueuedTime => throw new NotSupportedException();
        public DateTimeOffset ScheduledEnqueueTime => throw new NotSupportedException();
        public string LockToken => throw new NotSupportedException();
        public DateTimeOffset LockedUntil => throw new NotSupportedException();
        public string? DeadLetterReason => throw new NotSupportedException();
        public string? DeadLetterErrorDescription => throw new NotSupportedException();
        public IReadOnlyDictionary<string, object> ApplicationProperties => throw new NotSupportedException();
    }
}

namespace Azure.Monitor.OpenTelemetry.Exporter
{
    public class AzureMonitorExporterOptions
    {
        public string? ConnectionString { get; set; }
        public Azure.Core.TokenCredential? Credential { get; set; }
    }

    public static class AzureMonitorExporterExtensions
    {
        public static global::OpenTelemetry.Metrics.MeterProviderBuilder AddAzureMonitorMetricExporter(this global::OpenTelemetry.Metrics.MeterProviderBuilder builder, Action<AzureMonitorExporterOptions> configure) => builder;
    }
}
