"""The database engine, and whether a stage has a database of its own, are chosen when its
stack is created; a later deploy keeps them (and the NAT gateway, unless told otherwise), because changing either would replace or delete
the database (scripts/deploy, against moto's server)."""

import json
import uuid

import pytest

from infra.deploy import (
    engine_for_stack,
    existing_database_for_stack,
    nat_gateway_for_stack,
)
from infra.feedback import DeployError
from infra.stage_values import database_endpoint
from infra.template import stack_name


def stage_with_stack_parameters(aws, prefix: str, **parameters: str) -> str:
    """A new stage whose stack was created with these parameter values (one queue inside)."""
    stage = f"{prefix}-{uuid.uuid4().hex[:8]}"
    aws.client("cloudformation").create_stack(
        StackName=stack_name(stage),
        TemplateBody=json.dumps(
            {
                "Parameters": {key: {"Type": "String"} for key in parameters},
                "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
            }
        ),
        Parameters=[
            {"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()
        ],
    )
    return stage


@pytest.fixture
def stage_with_engine(aws):
    """Factory: a stage whose stack was created with that DatabaseEngine parameter."""
    return lambda engine: stage_with_stack_parameters(aws, "engine", DatabaseEngine=engine)


def test_a_new_stage_gets_the_engine_asked_for_or_postgres(aws):
    assert engine_for_stack("engine-new", "aurora-serverless-v2") == "aurora-serverless-v2"
    assert engine_for_stack("engine-new", None) == "postgres"


def test_an_existing_stack_keeps_its_engine(stage_with_engine):
    stage = stage_with_engine("aurora-serverless-v2")

    assert engine_for_stack(stage, None) == "aurora-serverless-v2"
    assert engine_for_stack(stage, "aurora-serverless-v2") == "aurora-serverless-v2"


def test_moving_an_existing_stack_to_another_engine_is_refused(stage_with_engine):
    stage = stage_with_engine("postgres")

    with pytest.raises(DeployError, match="would replace the database and lose its data"):
        engine_for_stack(stage, "aurora-serverless-v2")


def test_an_aurora_stage_connects_through_the_cluster_and_its_managed_secret(aws):
    # given the cluster the aurora-serverless-v2 stack creates (moto has no proxy for it)
    stage = f"engine-{uuid.uuid4().hex[:8]}"
    cluster = aws.client("rds").create_db_cluster(
        DBClusterIdentifier=f"serverless-handbook-{stage}",
        Engine="aurora-postgresql",
        MasterUsername="handbook",
        ManageMasterUserPassword=True,
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )["DBCluster"]

    # when the deploy reads the database's endpoint for the functions
    values = database_endpoint(
        stage=stage, outputs={"DatabaseClusterId": cluster["DBClusterIdentifier"]}
    )

    # then they get the writer's endpoint and the secret RDS manages for the cluster
    assert values == {
        "DATABASE_SECRET_ARN": cluster["MasterUserSecret"]["SecretArn"],
        "DATABASE_HOST": cluster["Endpoint"],
    }


@pytest.fixture
def stage_with_database(aws):
    """Factory: a stage whose stack was created with that UseExistingDatabase parameter."""

    return lambda existing: stage_with_stack_parameters(
        aws, "database", UseExistingDatabase=existing
    )


def test_a_stage_keeps_its_database_choice_without_the_flag(aws, stage_with_database):
    assert existing_database_for_stack("database-new", None) is False
    assert existing_database_for_stack(stage_with_database("true"), None) is True
    assert existing_database_for_stack(stage_with_database("false"), None) is False


def test_dropping_a_stages_own_database_is_refused(stage_with_database):
    stage = stage_with_database("false")

    with pytest.raises(DeployError, match="would delete it and its data"):
        existing_database_for_stack(stage, True)


def test_a_stage_keeps_its_nat_gateway_unless_told_otherwise(aws):
    # given a stack created with a NAT gateway (the browser reaches the internet through it)
    stage = stage_with_stack_parameters(aws, "nat", UseNatGateway="true")

    # a deploy without the flag keeps it; --no-nat removes it; a new stage has none
    assert nat_gateway_for_stack(stage, None) is True
    assert nat_gateway_for_stack(stage, False) is False
    assert nat_gateway_for_stack("nat-new", None) is False
    assert nat_gateway_for_stack("nat-new", True) is True
