"""Exchanges sharing one PostgreSQL database in separate schemas do not wake each other."""

from bhc.wakeup import CHANNEL, channel


def test_each_schema_has_its_own_channel_and_a_plain_database_the_common_one():
    first = channel("postgresql+psycopg://bhc@db/bhc?options=-csearch_path%3Dsegbroek")
    second = channel("postgresql+psycopg://bhc@db/bhc?options=-csearch_path%3DDelft-Zuid")
    assert first == "bhc_engine_segbroek"
    assert second == "bhc_engine_delft_zuid"
    assert channel("postgresql+psycopg://bhc@db/bhc") == CHANNEL
